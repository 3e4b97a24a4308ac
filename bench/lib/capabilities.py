"""capabilities.py - what this drover build can do, found out at run time.

Cluster mode, reload and scale are being written while this harness exists,
so sections that need them ask here first instead of trusting `drover help`
(which lists options before they work). A capability is True only when a
probe shows it working:

  cluster-shared / cluster-slots  `start hello.js -i 2 --port P --balancing X`
      gives 2 online workers that do not restart, both hold a listening
      socket on P, and concurrent requests are answered by both pids
  cluster-sticky  the same with --balancing sticky, except that requests
      come from 32 loopback addresses (127.0.0.2..33): both pids answer,
      and every address is always answered by the same one
  cluster-least_conn  the same with --balancing least_conn, from a root
      bench (the daemon loads an eBPF program; without it the kernel's
      hash spreads, which is slots, not least_conn)
  reload  `drover reload <app>` exits 0 and replaces both workers' pids
          while every one stays online
  scale   `drover scale <app> 3` exits 0 and 3 workers are online

Anything else is a reason string, printed and written to the doc as
"n/a (not available in this build)".
"""
import os
import threading
import time

from . import procs as P
from .managers import Drover
from .wrk import free_port, spread, wait_http


def _workers(d, name):
    return [p for p in d.ls() if p.get("name") == name]


def _settled(d, name, n, timeout=8.0, stay=1.0):
    """Waits for n online workers, then checks they stay the same processes
    for 1 s (a worker that cannot bind or crashes is replaced within that
    time); returns them or a reason. Restart counters are not used: drover,
    like PM2, counts a reload as a restart."""
    deadline = time.monotonic() + timeout
    ws = []
    while time.monotonic() < deadline:
        ws = _workers(d, name)
        if len(ws) == n and all(w.get("status") == "online" and w.get("pid") for w in ws):
            break
        time.sleep(0.1)
    else:
        return f"{len(ws)} workers, statuses {[w.get('status') for w in ws]}"
    pids = {w["pid"] for w in ws}
    time.sleep(stay)
    ws = _workers(d, name)
    if {w.get("pid") for w in ws} != pids or not all(w.get("status") == "online" for w in ws):
        return (f"workers do not stay up (pids {sorted(pids)} -> "
                f"{sorted(w.get('pid') or 0 for w in ws)}, statuses "
                f"{[w.get('status') for w in ws]})")
    return ws


STICKY_SOURCES = [f"127.0.0.{i}" for i in range(2, 34)]


def probe_cluster(ctx, balancing):
    if balancing == "least_conn" and os.geteuid() != 0:
        return "needs a root daemon (eBPF)"
    d = Drover(ctx, f"probe-{balancing}")
    port = free_port()
    try:
        r = d.cli("start", ctx.app("hello.js"), "--name", "probe", "-i", 2, "--port", port,
                  "--balancing", balancing, check=False, timeout=30)
        if r.returncode != 0:
            return f"start -i 2 --balancing {balancing} exited {r.returncode}: " \
                   f"{(r.stderr or r.stdout).strip()[:200]}"
        try:
            wait_http(port, 6)
        except TimeoutError as e:
            return str(e)
        ws = _settled(d, "probe", 2)
        if isinstance(ws, str):
            return ws
        pids = {w["pid"] for w in ws}
        inodes = P.listening_inodes(port)
        holders = [p for p in pids if P.socket_inodes(p) & inodes]
        if len(holders) < 2:
            return f"{len(holders)} of 2 workers hold a listening socket on the port"
        by_source = {}
        seen = spread(port, requests=384, concurrency=16,
                      sources=STICKY_SOURCES if balancing == "sticky" else None,
                      by_source=by_source)
        answered = {int(p) for p in seen if p.isdigit()} & pids
        if len(answered) < 2:
            return f"requests answered by {len(answered)} of 2 workers ({seen})"
        moved = [a for a, d in by_source.items() if len(d) > 1]
        if moved:
            return f"not sticky: {len(moved)} of {len(by_source)} client addresses " \
                   f"were answered by more than one worker ({moved[:3]})"
        return True
    except Exception as e:  # a probe never breaks the run
        return f"probe failed: {e}"
    finally:
        d.kill()


def probe_reload_scale(ctx, balancing, with_scale=True):
    """(reload, scale) capability values, on a working cluster app."""
    d = Drover(ctx, "probe-reload")
    port = free_port()
    res = {"reload": "not probed", "scale": "not probed"}
    try:
        d.cli("start", ctx.app("hello.js"), "--name", "probe", "-i", 2, "--port", port,
              "--balancing", balancing, timeout=30)
        wait_http(port, 6)
        ws = _settled(d, "probe", 2)
        if isinstance(ws, str):
            return {"reload": ws, "scale": ws}
        before = {w["pid"] for w in ws}
        r = d.cli("reload", "probe", check=False, timeout=60)
        if r.returncode != 0:
            res["reload"] = f"reload exited {r.returncode}: {(r.stderr or r.stdout).strip()[:200]}"
        else:
            ws = _settled(d, "probe", 2)
            if isinstance(ws, str):
                res["reload"] = "after reload: " + ws
            elif {w["pid"] for w in ws} & before:
                res["reload"] = "reload left old pids running"
            else:
                res["reload"] = True
        if not with_scale:
            res["scale"] = "not probed (smoke run)"
            return res
        r = d.cli("scale", "probe", 3, check=False, timeout=60)
        if r.returncode != 0:
            res["scale"] = f"scale exited {r.returncode}: {(r.stderr or r.stdout).strip()[:200]}"
        else:
            ws = _settled(d, "probe", 3)
            res["scale"] = True if not isinstance(ws, str) else "after scale: " + ws
        return res
    except Exception as e:
        return {"reload": f"probe failed: {e}", "scale": f"probe failed: {e}"}
    finally:
        d.kill()


def _oneline(v):
    if v is True:
        return True
    v = " ".join(str(v).split())
    return v if len(v) <= 240 else v[:237] + "..."


def probe(ctx):
    caps = {}

    def one(b):
        caps[f"cluster-{b}"] = probe_cluster(ctx, b)
    ts = [threading.Thread(target=one, args=(b,))
          for b in ("shared", "slots", "sticky", "least_conn")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    working = [b for b in ("shared", "slots") if caps[f"cluster-{b}"] is True]
    if working:
        caps.update(probe_reload_scale(ctx, working[0], ctx.cfg.get("probe_scale", True)))
    else:
        caps["reload"] = caps["scale"] = "needs cluster mode"
    return {k: _oneline(v) for k, v in caps.items()}
