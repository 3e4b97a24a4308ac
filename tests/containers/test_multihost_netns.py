"""Many hosts with network namespaces (docs/multi-host.md, issue 12).

Three "hosts", each a network namespace on a private bridge (10.247.0.0/24,
behind an `unreachable 10.247.0.0/16` guard route), each running its own
drover (`drover-runtime --agent`, PID 1 of its own PID namespace, its own
DROVER_HOME) with the same node app (`-i 2`) on the host's address, port
8000. In the root namespace, on 127.0.0.1: a real nginx configured from
`drover export nginx` (the upstream, and the `location` lines it suggests)
and a real HAProxy with the backend of `drover export haproxy --check-path /
--agent-port`. A small client (a new connection per request, a few threads)
loads both balancers while a host is reloaded, drained and stopped, or
killed outright; every request and failure is counted.

Run:  /usr/bin/python3 -m pytest -v -s tests/containers/test_multihost_netns.py
(root, Debian's nginx and haproxy, node; binaries from $DROVER_BUILD, default
./build). -s shows the summary table. Self-contained: it depends on no
conftest (it imports only tests/e2e/loadgen.py's socket helpers). The app
answers after 20 ms (DELAY_MS), so requests are in flight whenever a host is
reloaded or killed. nginx gets the export as printed: no upstream keepalive
pool, which is what keeps a rolling reload free of upstream errors
(docs/multi-host.md). Setup and teardown: about 5 s; the whole file: well under 2 min.
"""
import atexit
import fcntl
import ipaddress
import json
import math
import re
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from loadgen import free_port, read_to_end  # noqa: E402

BUILD = os.environ.get("DROVER_BUILD", os.path.join(REPO, "build"))
DROVER = os.path.join(BUILD, "drover")
RUNTIME = os.path.join(BUILD, "drover-runtime")
APP = os.path.join(REPO, "tests", "apps", "http_node.js")

GUARD = ipaddress.ip_network("10.247.0.0/16")  # nothing else on this machine uses it
GUARD_PROTO = "247"  # our routes carry this protocol number: a leftover is ours
LAN = "10.247.0"
BRIDGE = "drvmh-br"
PREFIX = "drvmh-"
HOSTS = [(f"drvmh-h{i}", f"{LAN}.1{i}", f"drvmh-v{i}") for i in (1, 2, 3)]
APP_NAME = "web"
APP_PORT = 8000
APP_DELAY_MS = 20  # each answer takes this long: requests are in flight when a host goes
AGENT_PORT = 9101
CHECK_INTER = 1.0  # the export's `inter 1s` (fall 2: a dead server is DOWN within ~2 s)
LOCK_PATH = "/run/lock/drover-multihost-netns.lock"

SUMMARY = []  # (scenario, balancer, requests, failures, seconds, per host, note)


# --- small helpers ---------------------------------------------------------------------

def wait_until(pred, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def run(argv, timeout=30, check=True, env=None):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{' '.join(argv)}: no end within {timeout}s\n{e.stdout}\n{e.stderr}")
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def procs_in_pidns(namespaces):
    """Pids (root view) of every process in one of the pid namespaces."""
    found = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                if os.readlink(f"/proc/{e}/ns/pid") in namespaces:
                    found.append(int(e))
            except OSError:
                pass
    return found


def procs_holding(prefix):
    """Pids with an fd or cwd under prefix."""
    found = set()
    for e in os.listdir("/proc"):
        if not e.isdigit() or int(e) == os.getpid():
            continue
        try:
            links = [os.readlink(f"/proc/{e}/cwd")]
            links += [os.readlink(f"/proc/{e}/fd/{fd}") for fd in os.listdir(f"/proc/{e}/fd")]
        except OSError:
            continue
        if any(x.startswith(prefix) for x in links):
            found.add(int(e))
    return found


def agent_says(addr, timeout=1.0):
    """What drover-runtime's agent answers HAProxy for the app, or None."""
    try:
        s = socket.create_connection((addr, AGENT_PORT), timeout=timeout)
        s.sendall(f"{APP_NAME}\n".encode())
        return read_to_end(s).decode().strip()
    except OSError:
        return None


def http_get(host, port, timeout=3.0):
    """(status, headers, body) of one GET on a new connection, or None."""
    try:
        s = socket.create_connection((host, port), timeout=timeout)
        s.sendall(b"GET / HTTP/1.0\r\nHost: mh\r\nConnection: close\r\n\r\n")
        data = read_to_end(s)
    except OSError:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    if not lines[0].startswith("HTTP/1."):
        return None
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body.decode(errors="replace")


def ours_in(text_names):
    return [n for n in text_names if n.startswith(PREFIX)]


def netns_list():
    return [ln.split()[0] for ln in run(["ip", "netns", "list"]).stdout.splitlines() if ln.strip()]


def links():
    return [x["ifname"] for x in json.loads(run(["ip", "-j", "link"]).stdout)]


def guard_routes():
    rows = json.loads(run(["ip", "-j", "-4", "route", "show", "table", "all"]).stdout or "[]")
    out = []
    for r in rows:
        try:
            net = ipaddress.ip_network(r["dst"], strict=False)
        except (KeyError, ValueError):
            continue  # default, etc.
        if net.overlaps(GUARD):
            out.append(r)
    return out


# --- the hosts ---------------------------------------------------------------------------

class Host:
    """One network namespace with its drover-runtime as PID 1 of a PID namespace."""

    def __init__(self, ns, addr, veth, tmp):
        self.ns, self.addr, self.veth, self.tmp = ns, addr, veth, tmp
        self.name = ns[len(PREFIX):]
        self.proc = None  # the unshare process (root view)
        self.init = None  # drover-runtime, PID 1 of the host's pid namespace
        self.pidns = set()
        self.cgroups = set()
        self.generation = 0
        self.home = None

    def start(self):
        self.generation += 1
        self.home = os.path.join(self.tmp, f"{self.name}-home{self.generation}")
        os.makedirs(self.home)
        self.out = os.path.join(self.tmp, f"{self.name}-{self.generation}.out")
        self.err = os.path.join(self.tmp, f"{self.name}-{self.generation}.err")
        env = dict(os.environ, DROVER_HOME=self.home, NO_COLOR="1")
        env.pop("DROVER_HTTP", None)
        argv = ["nsenter", f"--net=/run/netns/{self.ns}",
                "unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
                RUNTIME, "--no-auto-exit", "--agent", f"{self.addr}:{AGENT_PORT}",
                APP, "-i", "2", "--name", APP_NAME,
                "--env", f"PORT={APP_PORT}", "--env", f"HOST={self.addr}",
                "--env", f"DELAY_MS={APP_DELAY_MS}"]
        with open(self.out, "w") as o, open(self.err, "w") as e:
            self.proc = subprocess.Popen(argv, env=env, stdout=o, stderr=e, cwd=self.tmp,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        self.init = wait_until(lambda: (children(self.proc.pid) or [None])[0], 10, 0.02,
                               f"{self.name}'s PID 1")
        wait_until(lambda: self._note_pidns(), 5, 0.02, f"{self.name}'s pid namespace")
        return self

    def _note_pidns(self):
        try:
            ns = os.readlink(f"/proc/{self.init}/ns/pid")
        except OSError:
            return False
        if ns == os.readlink("/proc/self/ns/pid"):
            return False  # not yet exec'd into its own namespace
        self.pidns.add(ns)
        return True

    def logs(self):
        text = ""
        for p in (self.out, self.err):
            try:
                with open(p) as f:
                    text += f.read()[-3000:]
            except OSError:
                pass
        return text

    def wait_ready(self, timeout=30):
        wait_until(lambda: agent_says(self.addr) == "up ready", timeout, 0.1,
                   f"{self.name}'s agent to say 'up ready'\n{self.logs()}")
        r = http_get(self.addr, APP_PORT)
        assert r and r[0] == 200, r
        for line in self.logs().splitlines():  # for the teardown: the daemon's cgroup
            if "cgroups /sys/fs/cgroup/" in line:
                self.cgroups.add(line.rsplit("cgroups ", 1)[1].rstrip(")").strip())

    def cli(self, *args, timeout=60, check=True):
        """The drover CLI inside the host's namespaces (net, pid, mount)."""
        env = dict(os.environ, DROVER_HOME=self.home, NO_COLOR="1")
        return run(["nsenter", f"--target={self.init}", "--net", "--pid", "--mount",
                    DROVER, *map(str, args)], timeout=timeout, check=check, env=env)

    def pids(self):
        return {p["pid"] for p in json.loads(self.cli("ls", "--json").stdout)
                if p["name"] == APP_NAME and p["status"] == "online"}

    def alive(self):
        return self.proc is not None and self.proc.poll() is None and pid_alive(self.init)

    def kill(self):
        """SIGKILL to the PID namespace's init: the kernel kills everything in it."""
        os.kill(self.init, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        """SIGTERM to PID 1 (drover-runtime stops the apps, exits 0); SIGKILL after 20 s."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        try:
            os.kill(self.init, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for pid in (self.init, self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return self.proc.wait(timeout=10)


# --- the balancers -------------------------------------------------------------------------

NGINX_CONF = """worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/upstream.conf;
    server {{
        listen 127.0.0.1:{port};
{location}
    }}
}}
"""

HAPROXY_CONF = """global
    maxconn 1024
    stats socket {d}/haproxy.sock mode 600 level admin
defaults
    mode http
    timeout client 10s
    timeout server 10s
    timeout connect 1s
frontend fe
    bind 127.0.0.1:{port}
    http-response set-header X-MH-Upstream %si:%sp
    default_backend {app}
{backend}
"""


def location_from_export(export_text):
    """The `location` block the nginx export suggests (its commented lines),
    with one header added that names the upstream(s) tried."""
    lines = export_text.splitlines()
    start = lines.index("# in a server block:") + 1
    block = [ln[1:] for ln in lines[start:] if ln.startswith("#")]
    text = "\n".join(block)
    for need in ("proxy_connect_timeout 1s;", "proxy_next_upstream error timeout;",
                 f"proxy_pass http://{APP_NAME};"):
        assert need in text, f"the export no longer suggests {need!r}:\n{export_text}"
    close = text.rindex("}")
    return (text[:close] + "        add_header X-MH-Upstream $upstream_addr always;\n    "
            + text[close:])


class Balancers:
    def __init__(self, tmp):
        self.d = os.path.join(tmp, "balancers")
        os.makedirs(self.d)
        self.ngx_port, self.hap_port = free_port(), free_port()
        self.nginx = self.haproxy = None
        self.ngx = ["nginx", "-p", self.d, "-e", f"{self.d}/error.log", "-c",
                    f"{self.d}/nginx.conf"]
        self.sock = f"{self.d}/haproxy.sock"
        self.upstream = None

    def configure(self, nginx_export, haproxy_export):
        self.upstream = nginx_export
        with open(f"{self.d}/upstream.conf", "w") as f:
            f.write(nginx_export)
        with open(f"{self.d}/nginx.conf", "w") as f:
            f.write(NGINX_CONF.format(d=self.d, port=self.ngx_port,
                                      location=location_from_export(nginx_export)))
        with open(f"{self.d}/haproxy.cfg", "w") as f:
            f.write(HAPROXY_CONF.format(d=self.d, port=self.hap_port, app=APP_NAME,
                                        backend=haproxy_export))
        run([*self.ngx, "-t"])
        run(["haproxy", "-c", "-f", f"{self.d}/haproxy.cfg"])

    def start(self):
        self.nginx = subprocess.Popen([*self.ngx, "-g", "daemon off;"], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
        self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", f"{self.d}/haproxy.cfg"],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=open(f"{self.d}/haproxy.err", "w"),
                                        start_new_session=True)
        wait_until(lambda: http_get("127.0.0.1", self.ngx_port), 10, 0.05, "nginx serving")
        wait_until(lambda: os.path.exists(self.sock), 10, 0.05, "HAProxy's stats socket")

    def workers(self):
        return set(children(self.nginx.pid))

    def nginx_reload(self, nginx_export, force=False):
        """New upstream, SIGHUP to the master; returns once the old worker is gone:
        from then on every request uses the new upstream (and a new worker's
        fresh record of failed servers)."""
        if nginx_export == self.upstream and not force:
            return
        with open(f"{self.d}/upstream.conf", "w") as f:
            f.write(nginx_export)
        run([*self.ngx, "-t"])
        old = wait_until(self.workers, 5, 0.02, "nginx's worker")
        os.kill(self.nginx.pid, signal.SIGHUP)
        wait_until(lambda: self.workers() and not (self.workers() & old), 15, 0.02,
                   "nginx's old worker to leave")
        self.upstream = nginx_export

    def stat(self):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(self.sock)
        s.sendall(b"show stat\n")
        data = read_to_end(s).decode()
        lines = data.splitlines()
        head = lines[0].lstrip("# ").split(",")
        return [dict(zip(head, ln.split(","))) for ln in lines[1:] if ln]

    def status(self):
        """{address: HAProxy's status of that server}."""
        return {r["svname"].rsplit("-", 1)[0]: r["status"] for r in self.stat()
                if r["pxname"] == APP_NAME and r["svname"] not in ("FRONTEND", "BACKEND")}

    def backend_counters(self):
        row = [r for r in self.stat() if r["pxname"] == APP_NAME and r["svname"] == "BACKEND"][0]
        return {k: int(row[k] or 0) for k in ("wretr", "wredis", "econ", "eresp")}

    def nginx_errors(self):
        try:
            with open(f"{self.d}/error.log") as f:
                return [ln for ln in f if "upstream" in ln]
        except OSError:
            return []

    def mark(self):
        """Where the counters stand: since(mark) tells what happened after."""
        return len(self.nginx_errors()), self.backend_counters()

    def since(self, mark):
        """nginx's upstream errors since mark ({"h2 connect() failed ...": n}: each
        one a request nginx retried on the next server, or failed), and HAProxy's
        backend counters (retries, redispatches, connection and response errors)."""
        kinds = {}
        for ln in self.nginx_errors()[mark[0]:]:
            m = re.search(r"\*\d+ (.*?) while .*upstream: \"http://([\d.]+):", ln)
            if m:
                key = f"h{m.group(2)[-1]} {m.group(1)}"
            elif "no live upstreams" in ln:
                key = "all no live upstreams (every server disabled: 502)"
            else:
                key = ln.strip()[-80:]
            kinds[key] = kinds.get(key, 0) + 1
        now = self.backend_counters()
        return kinds, {k: now[k] - mark[1][k] for k in now}

    def stop(self):
        for p in (self.nginx, self.haproxy):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)


# --- the load ------------------------------------------------------------------------------

class Load:
    """`threads` clients, each sending GET / on a new connection, one after the
    other (a short pause between), to 127.0.0.1:port until stop(). Every request
    is recorded: (start, end, ok, [upstreams tried], pid or error)."""

    def __init__(self, name, port, threads=4, pause=0.005, timeout=10.0):
        self.name, self.port, self.pause, self.timeout = name, port, pause, timeout
        self.lock = threading.Lock()
        self.records = []
        self.inflight = 0
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(threads)]
        self.t0 = self.t1 = None

    def _one(self):
        t0 = time.monotonic()
        with self.lock:
            self.inflight += 1
        try:
            r = http_get("127.0.0.1", self.port, timeout=self.timeout)
            if r is None:
                raise OSError("no answer (refused, reset or timed out)")
            status, headers, body = r
            tried = [x.strip() for x in headers.get("x-mh-upstream", "").split(",") if x.strip()]
            tried = [x.rsplit(":", 1)[0] for x in tried]
            if status != 200:
                raise RuntimeError(f"status {status} from {tried}: {body.strip()[:80]}")
            rec = (t0, time.monotonic(), True, tried, int(body.strip()))
        except Exception as e:  # noqa: BLE001 - every failure counts
            rec = (t0, time.monotonic(), False, [], f"{type(e).__name__}: {e}")
        with self.lock:
            self.inflight -= 1
            self.records.append(rec)

    def _client(self):
        while not self.halt.is_set():
            self._one()
            time.sleep(self.pause)

    def start(self):
        self.t0 = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join(self.timeout + 5)
        self.t1 = time.monotonic()
        return self

    def snapshot(self):
        with self.lock:
            return list(self.records)

    def answered_by(self, addr, since=0.0):
        return sum(1 for r in self.snapshot() if r[2] and r[3] and r[3][-1] == addr and r[0] >= since)

    def count(self, since=0.0):
        return sum(1 for r in self.snapshot() if r[0] >= since)

    @property
    def failures(self):
        return [r for r in self.snapshot() if not r[2]]

    def retried(self):
        """Answers that needed more than one upstream (nginx lists every one it tried)."""
        return [r for r in self.snapshot() if r[2] and len(r[3]) > 1]

    def per_host(self):
        out = {}
        for r in self.snapshot():
            if r[2] and r[3]:
                name = "h" + r[3][-1].rsplit(".", 1)[1][-1]
                out[name] = out.get(name, 0) + 1
        return dict(sorted(out.items()))

    def report(self):
        f = self.failures
        return (f"{self.name}: {len(self.records)} requests, {len(f)} failed, per host "
                f"{self.per_host()}; first failures {[x[4] for x in f[:3]]}")


SHORT = (("refused", "refused"), ("reset", "reset"), ("temporarily disabled", "disabled"),
         ("no live upstreams", "disabled: no live upstreams"),
         ("prematurely closed", "closed"), ("timed out", "timeout"))


def balancers_saw(bal, mark):
    """{"nginx": "...", "haproxy": "..."}: the retries each balancer made since mark."""
    kinds, hap = bal.since(mark)
    short = {}
    for key, n in kinds.items():
        word = next((w for k, w in SHORT if k in key), key[:30])
        short[f"{key.split()[0]} {word}"] = short.get(f"{key.split()[0]} {word}", 0) + n
    ngx = f"upstream errors {sum(kinds.values())}"
    if short:
        ngx += " (" + ", ".join(f"{k} {v}" for k, v in sorted(short.items())) + ")"
    return {"nginx": ngx,
            "haproxy": f"retries {hap['wretr']}, redispatches {hap['wredis']}, conn errors "
                       f"{hap['econ']}, resp errors {hap['eresp']}"}


def record(scenario, loads, note="", bal=None, mark=None):
    saw = balancers_saw(bal, mark) if bal is not None else {}
    for ld in loads:
        own = note.get(ld.name, "") if isinstance(note, dict) else note
        retried = f"{len(ld.retried())} answered after a retry" if ld.name == "nginx" else ""
        extra = "; ".join(x for x in (saw.get(ld.name), retried, own) if x)
        SUMMARY.append((scenario, ld.name, len(ld.records), len(ld.failures),
                        (ld.t1 or time.monotonic()) - ld.t0, ld.per_host(), extra))
        print(f"[multihost] {scenario}: {ld.report()}; {extra}")


def print_summary():
    if not SUMMARY:
        return
    rows = [("scenario", "balancer", "requests", "failures", "seconds", "answers per host", "note")]
    rows += [(s, b, str(n), str(f), f"{t:.1f}", " ".join(f"{k}={v}" for k, v in h.items()), note)
             for s, b, n, f, t, h, note in SUMMARY]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    print("\n[multihost] summary (note: what the balancer retried, and when it noticed)")
    for r in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])


# --- setup and teardown --------------------------------------------------------------------

class Cluster:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="drover-mh-")
        self.hosts = [Host(ns, addr, veth, self.tmp) for ns, addr, veth in HOSTS]
        self.bal = Balancers(self.tmp)
        self.lock_fd = None
        self.made_route = self.made_bridge = False
        self.made_ns = []
        self.torn_down = False
        self.problems = []

    # network
    def network_up(self):
        if guard_routes() or any(a for a in addrs_in_guard()):
            pytest.fail(f"{GUARD} is in use on this machine: {guard_routes()} {addrs_in_guard()}")
        run(["ip", "route", "add", "unreachable", str(GUARD), "proto", GUARD_PROTO])
        self.made_route = True
        run(["ip", "link", "add", BRIDGE, "type", "bridge"])
        self.made_bridge = True
        run(["ip", "addr", "add", f"{LAN}.1/24", "dev", BRIDGE])
        run(["ip", "link", "set", BRIDGE, "up"])
        for h in self.hosts:
            run(["ip", "netns", "add", h.ns])
            self.made_ns.append(h.ns)
            run(["ip", "link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns",
                 h.ns])
            run(["ip", "link", "set", h.veth, "master", BRIDGE, "up"])
            run(["ip", "-n", h.ns, "link", "set", "lo", "up"])
            run(["ip", "-n", h.ns, "addr", "add", f"{h.addr}/24", "dev", "eth0"])
            run(["ip", "-n", h.ns, "link", "set", "eth0", "up"])

    def up(self):
        for tool in ("nginx", "haproxy", "node", "nsenter", "unshare", "ip"):
            if not shutil.which(tool):
                pytest.fail(f"{tool} is missing (scripts/install-deps.sh test installs it)")
        if os.geteuid() != 0:
            pytest.fail("needs root (network and PID namespaces)")
        for b in (DROVER, RUNTIME):
            if not os.access(b, os.X_OK):
                pytest.fail(f"{b} is not built (DROVER_BUILD={BUILD})")
        os.makedirs(os.path.dirname(LOCK_PATH), exist_ok=True)
        self.lock_fd = open(LOCK_PATH, "w")
        try:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pytest.fail(f"another run of this test holds {LOCK_PATH}")
        clean_leftovers()
        self.network_up()
        for h in self.hosts:
            h.start()
        for h in self.hosts:
            h.wait_ready()
        addrs = ",".join(h.addr for h in self.hosts)
        ngx = self.hosts[0].cli("export", "nginx", APP_NAME, "--hosts", addrs).stdout
        hap = self.hosts[0].cli("export", "haproxy", APP_NAME, "--hosts", addrs, "--check-path",
                                "/", "--agent-port", AGENT_PORT).stdout
        self.bal.configure(ngx, hap)
        self.bal.start()
        self.wait_all_up()

    def wait_all_up(self, timeout=20):
        want = {h.addr for h in self.hosts}
        wait_until(lambda: set(self.bal.status()) == want and
                   set(self.bal.status().values()) == {"UP"}, timeout, 0.05,
                   f"every server UP in HAProxy ({self.bal.status()})")

    def export_nginx(self, hosts):
        live = [h for h in self.hosts if h.alive()][0]
        return live.cli("export", "nginx", APP_NAME, "--hosts",
                        ",".join(h.addr for h in hosts)).stdout

    def heal(self):
        """Every host serving and undrained, nginx with every host, HAProxy all UP:
        each scenario starts from there, whatever the one before left."""
        for h in self.hosts:
            if not h.alive():
                h.start()
            else:
                h.cli("drain", APP_NAME, "--off")
                if agent_says(h.addr) != "up ready":
                    h.cli("start", APP_NAME, check=False)
        for h in self.hosts:
            h.wait_ready()
        self.bal.nginx_reload(self.export_nginx(self.hosts), force=True)
        self.wait_all_up()

    def down(self):
        if self.torn_down:
            return
        self.torn_down = True
        self.bal.stop()
        for h in self.hosts:
            try:
                code = h.stop()
                if code not in (None, 0):
                    self.problems.append(f"{h.name}'s runtime exited {code}:\n{h.logs()}")
            except Exception as e:  # noqa: BLE001 - go on tearing down
                self.problems.append(f"stopping {h.name}: {e}")
        namespaces = set().union(*(h.pidns for h in self.hosts))
        left = [p for p in procs_in_pidns(namespaces)]
        left += [p for h in self.hosts for p in ns_pids(h.ns)]
        for pid in set(left):
            self.problems.append(f"process {pid} ({comm(pid)}) still ran in a host")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for ns in self.made_ns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        for h in self.hosts:  # normally gone with its namespace's end of the pair
            if h.veth in links():
                subprocess.run(["ip", "link", "del", h.veth], capture_output=True)
        if self.made_bridge:
            subprocess.run(["ip", "link", "del", BRIDGE], capture_output=True)
        if self.made_route:
            subprocess.run(["ip", "route", "del", "unreachable", str(GUARD), "proto",
                            GUARD_PROTO], capture_output=True)
        # a host killed outright leaves its daemon's cgroup (empty) behind
        for h in self.hosts:
            for cg in h.cgroups:
                if os.path.isdir(cg):
                    if rmdir_tree(cg):
                        print(f"[multihost] removed {cg}, left by {h.name}'s killed daemon")
                    else:
                        self.problems.append(f"cannot remove cgroup {cg}")
        holders = procs_holding(self.tmp)
        for pid in holders:
            self.problems.append(f"process {pid} ({comm(pid)}) still held {self.tmp}")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.lock_fd:
            try:
                os.unlink(LOCK_PATH)
            except OSError:
                pass
            self.lock_fd.close()
        # nothing of ours is left in ip's views
        if ours_in(netns_list()):
            self.problems.append(f"netns left: {ours_in(netns_list())}")
        if ours_in(links()):
            self.problems.append(f"links left: {ours_in(links())}")
        if guard_routes():
            self.problems.append(f"routes left: {guard_routes()}")


def addrs_in_guard():
    out = []
    for ifc in json.loads(run(["ip", "-j", "-4", "addr"]).stdout or "[]"):
        for a in ifc.get("addr_info", []):
            if ipaddress.ip_address(a["local"]) in GUARD:
                out.append((ifc["ifname"], a["local"]))
    return out


def ns_pids(ns):
    p = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
    return [int(x) for x in p.stdout.split()] if p.returncode == 0 else []


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def rmdir_tree(path):
    for root, dirs, _ in os.walk(path, topdown=False):
        for d in dirs:
            try:
                os.rmdir(os.path.join(root, d))
            except OSError:
                pass
    try:
        os.rmdir(path)
        return True
    except OSError:
        return False


def clean_leftovers():
    """What a run killed beyond its teardown (SIGKILL, power) left: only names with
    our prefix, and the guard route only with our protocol number."""
    for ns in ours_in(netns_list()):
        for pid in ns_pids(ns):
            os.kill(pid, signal.SIGKILL)
        run(["ip", "netns", "del", ns], check=False)
        print(f"[multihost] removed a leftover netns {ns}")
    for ifname in ours_in(links()):
        run(["ip", "link", "del", ifname], check=False)
        print(f"[multihost] removed a leftover link {ifname}")
    for r in guard_routes():
        if r.get("type") == "unreachable" and r.get("protocol") == GUARD_PROTO:
            run(["ip", "route", "del", "unreachable", r["dst"], "proto", GUARD_PROTO],
                check=False)
            print(f"[multihost] removed a leftover route {r['dst']}")


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    atexit.register(c.down)  # even when pytest itself is cut short
    old_term = signal.signal(signal.SIGTERM, interrupted)
    t0 = time.monotonic()
    try:
        c.up()
        print(f"\n[multihost] 3 hosts, nginx :{c.bal.ngx_port}, HAProxy :{c.bal.hap_port} "
              f"up in {time.monotonic() - t0:.1f}s")
        yield c
    finally:
        t1 = time.monotonic()
        c.down()
        signal.signal(signal.SIGTERM, old_term)
        print(f"[multihost] torn down in {time.monotonic() - t1:.1f}s")
        print_summary()
    assert not c.problems, "\n".join(c.problems)


@pytest.fixture
def loads(cluster):
    started = []

    def start(**kw):
        ls = [Load("nginx", cluster.bal.ngx_port, **kw).start(),
              Load("haproxy", cluster.bal.hap_port, **kw).start()]
        started.extend(ls)
        return ls
    yield start
    for ld in started:
        ld.stop()


def wait_every_host_answered(cluster, ls, since=0.0, timeout=20):
    for ld in ls:
        for h in cluster.hosts:
            wait_until(lambda: ld.answered_by(h.addr, since), timeout, 0.05,
                       f"{h.name} to answer through {ld.name}\n{ld.report()}")


def wait_more(ls, n, timeout=20, since=None):
    """Until every load has n more requests (since now, or since `since`)."""
    t = time.monotonic() if since is None else since
    for ld in ls:
        wait_until(lambda: ld.count(t) >= n, timeout, 0.05, f"{n} requests through {ld.name}")


# --- the scenarios -------------------------------------------------------------------------

def test_rolling_reload_of_every_host_under_load(cluster, loads):
    cluster.heal()
    ls = loads()
    mark = cluster.bal.mark()
    wait_every_host_answered(cluster, ls)
    ends = {}
    for h in cluster.hosts:
        before = h.pids()
        t = time.monotonic()
        h.cli("reload", APP_NAME)
        ends[h.addr] = time.monotonic()
        after = h.pids()
        print(f"[multihost] reload of {h.name}: {ends[h.addr] - t:.1f}s, pids {sorted(before)} "
              f"-> {sorted(after)}")
        assert len(after) == 2 and not (before & after), (before, after)
        wait_more(ls, 30)
    for h in cluster.hosts:  # each host serves again after its own reload
        wait_every_host_answered(cluster, ls, since=ends[h.addr])
    for ld in ls:
        ld.stop()
    saw = balancers_saw(cluster.bal, mark)
    record("1 rolling reload", ls, "", cluster.bal, mark)
    for ld in ls:
        assert not ld.failures, f"{ld.report()}\n{ld.name} saw: {saw[ld.name]}"
        assert set(ld.per_host()) == {"h1", "h2", "h3"}, ld.report()


def test_drained_host_gets_nothing_new_then_stops_and_comes_back(cluster, loads):
    cluster.heal()
    h2 = cluster.hosts[1]
    others = [h for h in cluster.hosts if h is not h2]
    ls = loads()
    ngx_load, hap_load = ls
    mark = cluster.bal.mark()
    wait_every_host_answered(cluster, ls)

    t_drain = time.monotonic()
    h2.cli("drain", APP_NAME)
    assert agent_says(h2.addr).startswith("drain"), agent_says(h2.addr)
    # HAProxy follows the agent by itself; nginx (no active checks) is given the
    # upstream exported without the host, then reloaded (docs/multi-host.md)
    wait_until(lambda: "DRAIN" in cluster.bal.status()[h2.addr], 10, 0.02,
               f"HAProxy to see the drain ({cluster.bal.status()})")
    t_hap = time.monotonic()
    cluster.bal.nginx_reload(cluster.export_nginx(others))
    t_ngx = time.monotonic()
    print(f"[multihost] drain noticed: HAProxy after {t_hap - t_drain:.2f}s, nginx (export "
          f"without {h2.name} + reload) after {t_ngx - t_drain:.2f}s")
    wait_more(ls, 60)

    # the drained host stops: nobody notices
    t_stop = time.monotonic()
    h2.cli("stop", APP_NAME)
    assert http_get(h2.addr, APP_PORT, timeout=1) is None
    wait_until(lambda: cluster.bal.status()[h2.addr].startswith("DOWN"), 10, 0.05,
               "HAProxy to see the stopped host DOWN")
    wait_more(ls, 60)

    # back: start (still draining: HAProxy keeps weight 0), then undrain
    h2.cli("start", APP_NAME)
    wait_until(lambda: (agent_says(h2.addr) or "").startswith("drain"), 20, 0.05,
               f"{h2.name} serving again, still draining")
    # HAProxy brought it DOWN on the agent's "down" while it was stopped; "drain"
    # does not bring it back (only the agent's "up" does): it stays out until undrained
    wait_more(ls, 30)
    assert cluster.bal.status()[h2.addr] != "UP", cluster.bal.status()
    t_resume = time.monotonic()
    h2.cli("drain", APP_NAME, "--off")
    cluster.bal.nginx_reload(cluster.export_nginx(cluster.hosts))
    wait_until(lambda: cluster.bal.status()[h2.addr] == "UP", 10, 0.05, "HAProxy: h2 UP")
    for ld in ls:
        wait_until(lambda: ld.answered_by(h2.addr, t_resume), 20, 0.05,
                   f"{h2.name} to answer through {ld.name} again")
    for ld in ls:
        ld.stop()
    record("2 drain, stop, undrain", ls,
           {"nginx": f"h2 out (export + reload) {t_ngx - t_drain:.1f}s after the drain",
            "haproxy": f"h2 DRAIN (agent) {t_hap - t_drain:.1f}s after the drain"},
           cluster.bal, mark)
    print(f"[multihost] {h2.name} stopped {t_stop - t_drain:.1f}s after its drain")

    for ld, noticed in ((ngx_load, t_ngx), (hap_load, t_hap)):
        assert not ld.failures, ld.report()
        late = [r for r in ld.snapshot()
                if noticed <= r[0] < t_resume and h2.addr in r[3]]
        assert not late, f"{ld.name} sent {len(late)} request(s) to the drained host: {late[:3]}"
        during = [r for r in ld.snapshot() if noticed <= r[0] < t_resume]
        assert len(during) >= 100, ld.report()  # the window saw real traffic
        assert {h.addr for r in during for h in others if h.addr in r[3]} == \
            {h.addr for h in others}


def test_host_killed_outright_fails_over(cluster, loads):
    cluster.heal()
    h3 = cluster.hosts[2]
    ls = loads()
    ngx_load, hap_load = ls
    mark0 = cluster.bal.mark()
    wait_every_host_answered(cluster, ls)
    wait_more(ls, 100)
    mark = cluster.bal.mark()
    t_kill = time.monotonic()
    rate = len(hap_load.snapshot()) / (t_kill - hap_load.t0)
    inflight = {ld.name: ld.inflight for ld in ls}
    h3.kill()
    assert http_get(h3.addr, APP_PORT, timeout=1) is None
    wait_until(lambda: cluster.bal.status()[h3.addr].startswith("DOWN"), 10, 0.02,
               f"HAProxy to see {h3.name} DOWN ({cluster.bal.status()})")
    t_down = time.monotonic()
    # past nginx's fail_timeout (5 s): it tries the dead host again, and retries
    wait_until(lambda: time.monotonic() > t_kill + 6.5, 10, 0.1, "nginx's fail_timeout")
    wait_more(ls, 50)
    outage = cluster.bal.since(mark)
    t_restart = time.monotonic()
    # a new host in its place (a fresh DROVER_HOME, as a replaced machine or container)
    h3.start()
    h3.wait_ready()
    wait_until(lambda: cluster.bal.status()[h3.addr] == "UP", 15, 0.05, "HAProxy: h3 UP again")
    for ld in ls:
        wait_until(lambda: ld.answered_by(h3.addr, t_restart), 20, 0.05,
                   f"{h3.name} to answer through {ld.name} again")
    for ld in ls:
        ld.stop()
    # what HAProxy may lose: the requests in flight on the host when it died, and
    # one check interval's worth of requests (if its retries did not save them)
    bound = inflight["haproxy"] + math.ceil(rate * CHECK_INTER)
    kinds, hap = outage
    print(f"[multihost] kill of {h3.name}: HAProxy DOWN after {t_down - t_kill:.2f}s; "
          f"in flight at the kill: {inflight}; from the kill to the restart: nginx upstream "
          f"errors {kinds} (each one retried on the next server), HAProxy backend "
          f"counters {hap}; HAProxy failure bound {bound}")
    record("3 host killed", ls,
           {"nginx": f"{inflight['nginx']} in flight at the kill",
            "haproxy": f"{inflight['haproxy']} in flight at the kill, h3 DOWN "
                       f"{t_down - t_kill:.1f}s after it; failures allowed {bound}"},
           cluster.bal, mark0)
    assert not ngx_load.failures, ngx_load.report()
    assert len(hap_load.failures) <= bound, hap_load.report()
    # nothing from the dead host between the kill and its restart
    for ld in ls:
        ghost = [r for r in ld.snapshot() if r[2] and r[3] and r[3][-1] == h3.addr and
                 r[0] > t_kill + 0.5 and r[1] < t_restart]
        assert not ghost, ghost[:3]
