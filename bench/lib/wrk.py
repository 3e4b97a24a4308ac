"""wrk.py - HTTP load with wrk, and a tiny HTTP client for probes.

run_wrk() runs wrk against a loopback URL for a bounded time and parses its
summary: requests/s, latency p50/p99 (--latency), requests served, socket
errors and non-2xx responses. `Connection: close` is a request header; wrk
reconnects after every response that is not keep-alive.
"""
import http.client
import re
import signal
import socket
import subprocess
import threading
import time

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def parse(out):
    r = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": 0, "connect": 0, "read": 0,
         "write": 0, "timeout": 0, "non2xx": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["connect"], r["read"], r["write"], r["timeout"] = map(int, m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            r[key] = _ms(m.group(1))
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"] + r["non2xx"]
    return r


def command(url, duration, threads=2, conns=50, close=False, timeout="2s"):
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", f"--timeout", timeout,
            "--latency"]
    if close:
        argv += ["-H", "Connection: close"]
    return argv + [url]


def run_wrk(url, duration, threads=2, conns=50, close=False):
    argv = command(url, duration, threads, conns, close)
    # its own session: with autogroup scheduling every variant then competes
    # with the same scheduling entity for the shared CPUs
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30,
                       start_new_session=True)
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed: {p.stderr.strip()}")
    r = parse(p.stdout)
    r["raw"] = p.stdout
    return r


class Background:
    """wrk running until stop() (SIGINT makes wrk print its summary)."""

    def __init__(self, procs, url, threads=2, conns=50, close=False, max_s=600):
        self.argv = command(url, max_s, threads, conns, close)
        self.procs = procs
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, start_new_session=True)
        procs.live.append(self.p)

    def stop(self):
        try:
            self.p.send_signal(signal.SIGINT)
        except ProcessLookupError:
            pass
        try:
            out, _ = self.p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, _ = self.p.communicate()
        if self.p in self.procs.live:
            self.procs.live.remove(self.p)
        r = parse(out)
        r["raw"] = out
        return r


def get(port, path="/", timeout=2.0, close=True, source=None):
    """One GET to 127.0.0.1:port (from loopback address `source` if given);
    returns (status, headers dict, body) or None."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                       source_address=(source, 0) if source else None)
        c.request("GET", path, headers={"Connection": "close"} if close else {})
        r = c.getresponse()
        body = r.read()
        h = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, h, body
    except (OSError, http.client.HTTPException):
        return None


def wait_http(port, timeout=15.0, proc=None):
    """Waits until GET / on port answers 200; fails early if proc (a Popen
    that should be serving) exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{' '.join(map(str, proc.args))[:200]} exited "
                               f"{proc.returncode} before answering on port {port}")
        r = get(port, timeout=1.0)
        if r and r[0] == 200:
            return r
        time.sleep(0.05)
    raise TimeoutError(f"nothing answered HTTP on 127.0.0.1:{port} within {timeout:.0f}s")


def spread(port, requests=200, concurrency=8, sources=None, by_source=None):
    """Answers per X-Pid over `requests` GETs (Connection: close, a new
    connection each) from `concurrency` clients; failed requests are counted
    under "failed". sources: loopback addresses the requests come from, in
    turn (request k from sources[k % len]); by_source, a dict, gets
    {source: {pid: answers}}."""
    seen = {}
    lock = threading.Lock()
    per = requests // concurrency

    def worker(i):
        for j in range(per):
            src = sources[(i + j * concurrency) % len(sources)] if sources else None
            r = get(port, timeout=2.0, source=src)
            with lock:
                pid = r[1].get("x-pid", "?") if r and r[0] == 200 else "failed"
                seen[pid] = seen.get(pid, 0) + 1
                if by_source is not None and src and pid != "failed":
                    d = by_source.setdefault(src, {})
                    d[pid] = d.get(pid, 0) + 1

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in ts:
        t.start()
    deadline = time.monotonic() + per * 6 + 5   # get(): 2 s per connect, send, read
    for t in ts:
        t.join(max(0.0, deadline - time.monotonic()))
    return seen


_next_port = [20000 + (int(time.time()) % 50) * 100]
_port_lock = threading.Lock()


def free_port():
    """A free TCP port on loopback, below the ephemeral range so the load
    generator's own client ports never collide with it."""
    with _port_lock:
        return _free_port()


def _free_port():
    for _ in range(2000):
        port = _next_port[0]
        _next_port[0] = 20000 if port >= 29999 else port + 1
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port in 20000-29999")
