"""logging.py - section 6: how fast an app can log through its manager.

bench/apps/logger.js writes N numbered lines of 96 bytes to stdout and
exits, in two workloads: one write per line (console.log; the app's own
syscalls bound the rate) and 512 lines per write (the app out of the way:
the manager's own limit). Three ways, interleaved per repetition:
  direct  `node logger.js N B > file` (the disk's and node's own limit)
  drover  `drover start logger.js --no-autorestart -o file -- N B`
  pm2     `pm2 start logger.js --no-autorestart -o file -- N B`
Wall time runs from the start command to the moment the file holds every
line (or stops growing for 3 s: then lines were lost). Lines are counted in
the file and in any rotated siblings. Manager CPU is the utime+stime the
manager's processes spent meanwhile (drover: the daemon + the instance's
drover-sup; PM2: its God daemon, which reads every app's pipes).
"""
import glob
import os
import subprocess
import time

from lib import procs as P
from lib.managers import PM2, Drover
from lib.stats import fmt, fmt_ratio, median, paired_ratios

TITLE = "6. Logging throughput"
LINE_BYTES = 96


def count_lines(path):
    n = 0
    for f in sorted(glob.glob(path + "*")):
        with open(f, "rb") as fh:
            while True:
                b = fh.read(1 << 20)
                if not b:
                    break
                n += b.count(b"\n")
    return n


def total_size(path):
    return sum(os.path.getsize(f) for f in glob.glob(path + "*"))


def wait_file(path, want, t0, stall_s=3.0, timeout=600):
    """Waits until the file(s) hold `want` bytes or stop growing for stall_s;
    returns the wall time since t0 of the last growth."""
    last_size, last_change = -1, time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        size = total_size(path) if os.path.exists(path) else 0
        now = time.perf_counter()
        if size != last_size:
            last_size, last_change = size, now
        if size >= want:
            return now - t0
        if now - last_change > stall_s:
            return last_change - t0
        time.sleep(0.005)
    raise TimeoutError(f"{path} still growing after {timeout}s")


def one(ctx, which, n, batch):
    logger = ctx.app("logger.js")
    out = os.path.join(ctx.tmp, f"log-{which}-{time.time_ns()}.log")
    want = n * LINE_BYTES
    r = {}
    if which == "direct":
        t0 = time.perf_counter()
        with open(out, "wb") as f:
            subprocess.run(["node", logger, str(n), str(batch)], stdout=f, check=True,
                           timeout=600)
        r["wall_s"] = wait_file(out, want, t0)
        r["cpu_s"] = 0.0
    else:
        mgr = Drover(ctx, "log") if which == "drover" else PM2(ctx, "log")
        try:
            mgr.cli("ping")
            pids0 = mgr.manager_pids()
            cpu0 = {p: P.cpu_seconds(p) for p in pids0}
            t0 = time.perf_counter()
            mgr.cli("start", logger, "--name", "logger", "--no-autorestart", "-o", out,
                    "-e", out + ".err", "--", n, batch)
            r["wall_s"] = wait_file(out, want, t0)
            # CPU of every manager process, new ones (the drover-sup) from 0
            r["cpu_s"] = sum(P.cpu_seconds(p) - cpu0.get(p, 0.0) for p in mgr.manager_pids())
            if which == "drover":
                info = [p for p in mgr.ls() if p["name"] == "logger"]
                r["dropped"] = info[0].get("log_dropped", 0) if info else None
        finally:
            mgr.kill()
    r["lines"] = count_lines(out)
    r["bytes"] = total_size(out)
    r["files"] = len(glob.glob(out + "*")) - (1 if os.path.exists(out + ".err") else 0)
    r["lost"] = n - r["lines"]
    for f in glob.glob(out + "*"):
        os.unlink(f)
    return r


def measure(ctx):
    n = ctx.cfg["log_lines"]
    ways = ["direct", "drover"] + (["pm2"] if ctx.ok("pm2") else [])
    res = {"lines": n, "batches": {}}
    for batch in ctx.cfg["log_batches"]:
        runs = res["batches"].setdefault(str(batch), {})
        for rep in range(ctx.cfg["reps"]):
            for w in ctx.rotation(ways, rep):
                ctx.log(f"logging: {n:,} lines, {batch} per write, via {w} (rep {rep + 1})")
                runs.setdefault(w, []).append(one(ctx, w, n, batch))
    return res


def render(ctx, doc, res, plots):
    n = res["lines"]
    doc.h(2, TITLE)
    doc.p(f"""`bench/apps/logger.js` writes {n:,} numbered lines of {LINE_BYTES} bytes
({n * LINE_BYTES / 1e6:.0f} MB) to stdout and exits; drover and PM2 write them to a file
given with `-o` (no timestamps, no rotation), **direct** is `node logger.js … > file`. Two
workloads: **1 line per write** is what `console.log` does, and the app's own system calls
bound the rate (direct is the ceiling); **512 lines per write** (~48 KiB) takes the app out of
the way, so the manager's own cost shows. Wall time runs from the start command until the
file holds every line. Manager CPU: utime + stime of the manager's processes over the run
(drover: daemon + the app's `drover-sup`; PM2: the God daemon). Median [min–max] over
{ctx.cfg['reps']} runs; ratios paired per run.""")
    goal = []
    cats, mbs_series = ["direct", "drover", "pm2"], []
    for batch, runs in res["batches"].items():
        doc.h(3, f"{batch} line{'s' if batch != '1' else ''} per write")
        rows = []
        d_rate = [n / r["wall_s"] for r in runs.get("drover", [])]
        p_rate = [n / r["wall_s"] for r in runs.get("pm2", [])]
        for w in cats:
            rs = runs.get(w)
            if not rs:
                rows.append([w, ctx.why_not("pm2") or "n/a", "", "", "", "", ""])
                continue
            rate = [n / r["wall_s"] for r in rs]
            mbs = [r["bytes"] / 1e6 / r["wall_s"] for r in rs]
            cpu_gb = [r["cpu_s"] / (r["bytes"] / 1e9) if r["bytes"] else None for r in rs]
            lost = sum(max(0, r["lost"]) for r in rs)
            ratio = fmt_ratio(paired_ratios(d_rate, p_rate)) if w == "drover" and p_rate else ""
            rows.append([w, fmt(rate, 0), fmt(mbs, 1), fmt([r["wall_s"] for r in rs], 2),
                         "—" if w == "direct" else fmt(cpu_gb, 2), f"{lost:,}", ratio])
        doc.table(["way", "lines/s", "MB/s", "wall s", "manager CPU s per GB",
                   "lines lost (all runs)", "drover/PM2 lines/s"], rows)
        mbs_series.append((f"{batch} line(s) per write",
                           [median([r["bytes"] / 1e6 / r["wall_s"] for r in runs[c]])
                            if runs.get(c) else None for c in cats]))
        if d_rate and p_rate:
            lost = sum(max(0, r["lost"]) for r in runs["drover"])
            ratio = median(paired_ratios(d_rate, p_rate))
            goal.append((batch, ratio, lost))
    if plots is not None:
        png = plots.bars("logging.png", f"Logging throughput, {n:,} lines of {LINE_BYTES} B",
                         "MB/s (median)", cats, mbs_series)
        if png:
            doc.image("logging throughput", png)
    if goal:
        ctx.goals.append({
            "goal": "logging ≥ 10 × PM2's throughput with no loss",
            "measured": "; ".join(f"{b} line(s)/write: {r:.1f}× PM2, {lost:,} lines lost"
                                  for b, r, lost in goal),
            "met": all(r >= 10 and lost == 0 for _, r, lost in goal)})
