"""scale.py - section 7: the manager at rest with 1,000 supervised processes.

1,000 fork-mode apps (`/bin/sleep 3600`, one ecosystem file) under drover
and, in the same minute, under PM2; then nothing happens for 60 s while the
harness samples each manager's CPU ticks (utime+stime from /proc) and memory
(RSS and PSS sums) at the start, every 10 s, and at the end.
"""
import os
import time

from lib import procs as P
from lib.managers import PM2, Drover, sleep_apps, wait_online, write_json
from lib.stats import fmt, num

TITLE = "7. Scale: idle with many supervised processes"


def sample(mgr):
    pids = mgr.manager_pids()
    return {"t": time.monotonic(), "procs": len(pids),
            "cpu": {p: P.cpu_seconds(p) for p in pids},
            "rss_kb": sum(P.rss_kb(p) for p in pids),
            "pss_kb": sum(P.pss_kb(p) for p in pids)}


def measure(ctx):
    n, idle = ctx.cfg["scale_apps"], ctx.cfg["scale_idle_s"]
    mgrs = {"drover": Drover(ctx, "scale")}
    if ctx.ok("pm2"):
        mgrs["pm2"] = PM2(ctx, "scale")
    res = {"apps": n, "idle_s": idle, "mgr": {}}
    try:
        for name, m in mgrs.items():
            eco = write_json(os.path.join(m.home, "apps.json"), sleep_apps(n))
            ctx.log(f"scale: starting {n} apps under {name}")
            m.cli("start", eco, timeout=900)
            wait_online(m, n, timeout=900)
        time.sleep(2 * ctx.cfg["settle_s"])
        ctx.log(f"scale: {idle}s idle, sampled in 3 windows")
        samples = {k: [sample(m)] for k, m in mgrs.items()}
        t0 = time.monotonic()
        for w in range(1, 4):
            time.sleep(max(0.0, t0 + idle * w / 3 - time.monotonic()))
            for k, m in mgrs.items():
                samples[k].append(sample(m))
        for k in mgrs:
            ss = samples[k]
            d = mgrs[k].daemon_pid() if k == "drover" else mgrs[k].god_pid()
            windows = []
            for a, b in zip(ss, ss[1:]):
                dt = b["t"] - a["t"]
                cpu = sum(b["cpu"].get(p, 0) - c for p, c in a["cpu"].items())
                dcpu = b["cpu"].get(d, 0) - a["cpu"].get(d, 0)
                windows.append({"seconds": dt, "cpu_s": cpu, "daemon_cpu_s": dcpu})
            res["mgr"][k] = {
                "procs": ss[-1]["procs"], "windows": windows,
                "rss_kb": [s["rss_kb"] for s in ss], "pss_kb": [s["pss_kb"] for s in ss],
            }
    finally:
        for k, m in mgrs.items():
            ctx.log(f"scale: stopping {n} apps under {k}")
            m.kill(timeout=120)
            res["mgr"].setdefault(k, {})["kill_error"] = getattr(m, "kill_error", None)
            res["mgr"][k]["killed_late"] = len(m.killed_late)
    return res


def render(ctx, doc, res, plots):
    doc.h(2, TITLE)
    doc.p(f"""{res['apps']:,} fork-mode `/bin/sleep` apps under each manager, both running,
then {res['idle_s']} s with nothing to do, cut into 3 windows of {res['idle_s'] / 3:.0f} s. CPU
is utime + stime (clock ticks of 10 ms) of every manager process in a window (drover: daemon +
{res['apps']:,} `drover-sup`; PM2: God), memory the RSS and PSS sums at the window edges.
Median [min–max] over the windows / samples.""")
    rows = []
    for k in ("drover", "pm2"):
        r = res["mgr"].get(k)
        if not r or "windows" not in r:
            rows.append([k, ctx.why_not("pm2") or "n/a", "", "", "", "", ""])
            continue
        ws = r["windows"]
        rows.append([k, num(r["procs"]), fmt([w["cpu_s"] for w in ws], 2),
                     fmt([w["daemon_cpu_s"] for w in ws], 2),
                     fmt([100 * w["cpu_s"] / w["seconds"] for w in ws], 3),
                     fmt([x / 1024 for x in r["rss_kb"]]), fmt([x / 1024 for x in r["pss_kb"]])])
    doc.table(["manager", "manager processes", "CPU s per window (all)",
               "CPU s per window (daemon)", "CPU % of one core", "RSS MB", "PSS MB"], rows)
    notes = []
    for k, r in res["mgr"].items():
        if r.get("kill_error"):
            notes.append(f"`{k} kill` with {res['apps']:,} apps reported: `{r['kill_error'][:200]}`")
        if r.get("killed_late"):
            notes.append(f"{r['killed_late']} processes of {k} were still alive 120 s after "
                         "`kill` and were SIGKILLed by the harness")
    if notes:
        doc.p("Teardown: " + "; ".join(notes) + ".")
