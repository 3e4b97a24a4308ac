"""recovery.py - section 5: from `kill -9` of a worker to its replacement.

Fork mode: each manager runs bench/apps/stamp (compiled here) which writes
"exec <pid> <time>" and execs `node hello.js`; the app appends "listening
<pid> <time>" once its server listens. The harness notes the time, SIGKILLs
the app and reads both stamps of the replacement: kill → exec is the
manager's own share (noticing the death, deciding, fork + exec), exec →
listening is node starting up, kill → listening the whole outage of that
instance. Cluster mode (2 instances; drover when available, PM2 cluster) is
timed kill → listening, since there the worker is node itself.
Kills alternate between managers; each app is left up > 1.5 s before its
next kill so no restart counts as unstable (min_uptime 1 s for both).
"""
import os
import signal
import subprocess
import time

from lib import procs as P
from lib import servers
from lib.managers import PM2, Drover, online, wait_online, write_json
from lib.report import NA
from lib.stats import fmt, fmt_ratio, paired_ratios
from lib.wrk import free_port, wait_http

TITLE = "5. Recovery after kill -9"


def build_stamp(ctx):
    out = os.path.join(ctx.tmp, "stamp")
    subprocess.run(["cc", "-O2", "-o", out, ctx.app("stamp.c")], check=True,
                   capture_output=True, timeout=60)
    return out


def read_stamps(path):
    out = []
    for line in (P.read(path, "") or "").splitlines():
        f = line.split()
        if len(f) == 3:
            out.append((f[0], int(f[1]), float(f[2])))
    return out


class Subject:
    """One manager running one instance (fork) or two (cluster) of hello.js."""

    def __init__(self, ctx, which, mode, stamp_bin):
        self.which, self.mode = which, mode
        self.uptime = ctx.cfg["recovery_uptime_s"]
        self.stamps = os.path.join(ctx.tmp, f"stamps-{which}-{mode}-{time.time_ns()}")
        self.port = free_port()
        env = {"PORT": str(self.port), "BENCH_STAMP": self.stamps}
        if mode == "fork":
            self.mgr = Drover(ctx, "recovery") if which == "drover" else PM2(ctx, "recovery")
            eco = write_json(os.path.join(self.mgr.home, "app.json"), {"apps": [{
                "name": "web", "script": stamp_bin, "interpreter": "none",
                "args": [self.stamps, "node", ctx.app("hello.js")], "env": env}]})
            self.mgr.cli("start", eco)
            self.srv = None
            wait_http(self.port)
        else:
            variant = "drover-shared" if which == "drover" else "pm2"
            self.srv = servers.start(ctx, variant, ctx.app("hello.js"), self.port, 2,
                                     env={"BENCH_STAMP": self.stamps})
            self.mgr = self.srv.mgr
        self.n = 1 if mode == "fork" else 2
        wait_online(self.mgr, self.n, 30)
        self.last = time.monotonic()

    def kill_one(self, timeout=15.0):
        wait = self.uptime - (time.monotonic() - self.last)
        if wait > 0:
            time.sleep(wait)
        pids = sorted(online(self.mgr))
        victim = pids[0]
        seen = len(read_stamps(self.stamps))
        t_kill = time.time()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        rec = {}
        while time.monotonic() < deadline:
            new = [s for s in read_stamps(self.stamps)[seen:] if s[1] != victim]
            for kind, pid, t in new:
                rec.setdefault(kind, (pid, t))
            if "listening" in rec and (self.mode != "fork" or "exec" in rec):
                break
            time.sleep(0.002)
        else:
            raise TimeoutError(f"{self.which} {self.mode}: no replacement within {timeout}s")
        self.last = time.monotonic()
        out = {"kill_to_listening_ms": (rec["listening"][1] - t_kill) * 1000}
        if "exec" in rec:
            out["kill_to_exec_ms"] = (rec["exec"][1] - t_kill) * 1000
            out["exec_to_listening_ms"] = (rec["listening"][1] - rec["exec"][1]) * 1000
        return out

    def stop(self):
        if self.srv:
            self.srv.stop()
        else:
            self.mgr.kill()


def measure(ctx):
    stamp_bin = build_stamp(ctx)
    res = {"fork": {}, "cluster": {}}
    plans = [("fork", ["drover"] + (["pm2"] if ctx.ok("pm2") else []))]
    cl = (["drover"] if ctx.cap("cluster-shared") else []) + (["pm2"] if ctx.ok("pm2") else [])
    if cl:
        plans.append(("cluster", cl))
    for mode, mgrs in plans:
        subjects = {}
        try:
            for m in mgrs:
                subjects[m] = Subject(ctx, m, mode, stamp_bin)
            for rep in range(ctx.cfg["reps"]):
                ctx.log(f"recovery: {mode} mode, {ctx.cfg['recovery_kills']} kills per manager "
                        f"(rep {rep + 1})")
                for _ in range(ctx.cfg["recovery_kills"]):
                    for m in ctx.rotation(mgrs, rep):
                        res[mode].setdefault(m, []).append(subjects[m].kill_one())
        finally:
            for s in subjects.values():
                s.stop()
    return res


def render(ctx, doc, res, plots):
    doc.h(2, TITLE)
    doc.p(f"""`kill -9` of a running instance of the hello app,
{ctx.cfg['reps']} × {ctx.cfg['recovery_kills']} kills per manager, alternating. Times are from the signal to the
replacement's `execve()` (fork mode: a 1-line C wrapper, `bench/apps/stamp.c`, writes the
time and execs node) and to its server listening. kill → exec is the manager's own share;
exec → listening is node starting up and is the same for every manager. Median [min–max],
ms; ratios paired kill by kill.""")
    rows = []
    for mode in ("fork", "cluster"):
        by = res.get(mode, {})
        dr, pm = by.get("drover"), by.get("pm2")
        for which, rs in (("drover", dr), ("pm2", pm)):
            if not rs:
                why = (NA if which == "drover" else ctx.why_not("pm2") or "n/a")
                rows.append([mode, which, why, "", "", ""])
                continue
            ke = [r.get("kill_to_exec_ms") for r in rs]
            kl = [r["kill_to_listening_ms"] for r in rs]
            el = [r.get("exec_to_listening_ms") for r in rs]
            ratio = ""
            if which == "drover" and pm:
                key = "kill_to_exec_ms" if mode == "fork" else "kill_to_listening_ms"
                ratio = fmt_ratio(paired_ratios([r.get(key) for r in rs],
                                                [r.get(key) for r in pm]))
            rows.append([mode, which, fmt(ke, 2) if any(ke) else "—", fmt(el, 1)
                         if any(el) else "—", fmt(kl, 1), ratio])
    doc.table(["mode", "manager", "kill → exec (manager's share)", "exec → listening (node)",
               "kill → listening", "drover/PM2 (fork: kill → exec; cluster: kill → listening)"],
              rows, ["l", "l", "r", "r", "r", "r"])
