"""cli.py - section 2: how long the CLI takes.

`drover ls` (table, --json) and `drover jlist` against `pm2 ls` and
`pm2 jlist`, with a few apps and with 1,000 fork-mode apps, both managers
running at the same time and the calls interleaved (drover ls, drover ls
--json, drover jlist, pm2 ls, pm2 jlist, drover ls, ...). Then the time to
start 100 apps from one ecosystem file on a running daemon: until the
command returns and until all 100 apps are running (counted in /proc).
"""
import os
import time

from lib import procs as P
from lib.managers import PM2, Drover, sleep_apps, wait_online, write_json
from lib.report import NA
from lib.stats import fmt, fmt_ratio, median, paired_ratios

TITLE = "2. CLI latency"

CALLS = [("drover", ("ls",)), ("drover", ("ls", "--json")), ("drover", ("jlist",)),
         ("pm2", ("ls",)), ("pm2", ("jlist",)),
         # breakdown: process start alone (no daemon), then one round trip
         ("drover", ("version",)), ("drover", ("ping",))]
BREAKDOWN = {"drover version", "drover ping"}


def _label(which, args):
    return f"{which} {' '.join(args)}"


def latency(ctx, napps, calls):
    mgrs = {"drover": Drover(ctx, f"cli{napps}")}
    if ctx.ok("pm2"):
        mgrs["pm2"] = PM2(ctx, f"cli{napps}")
    out = {"apps": napps, "samples": {}, "start_s": {}}
    try:
        for name, m in mgrs.items():
            m.cli("ping")
            eco = write_json(os.path.join(m.home, "apps.json"), sleep_apps(napps))
            t = time.perf_counter()
            m.cli("start", eco, timeout=600)
            root = m.daemon_pid() if name == "drover" else m.god_pid()
            P.wait_until(lambda: _running(root) >= napps, 600, 0.05, f"{napps} apps running")
            out["start_s"][name] = time.perf_counter() - t
            wait_online(m, napps, timeout=600)
            ctx.log(f"cli: {napps} apps running under {name} in {out['start_s'][name]:.1f}s")
        time.sleep(1.0)
        for rep in range(ctx.cfg["reps"]):
            ctx.log(f"cli: ls/jlist with {napps} apps (rep {rep + 1})")
            for _ in range(calls):
                for which, args in CALLS:
                    if which not in mgrs:
                        continue
                    dt = mgrs[which].timed(*args)
                    out["samples"].setdefault(_label(which, args), []).append(dt)
    finally:
        for m in mgrs.values():
            m.kill()
        out["kill_errors"] = {n: getattr(m, "kill_error", None) for n, m in mgrs.items()}
    return out


def start_many(ctx, n):
    mgrs = ["drover"] + (["pm2"] if ctx.ok("pm2") else [])
    out = {m: {"cmd_s": [], "online_s": []} for m in mgrs}
    for rep in range(ctx.cfg["reps"]):
        for which in ctx.rotation(mgrs, rep):
            ctx.log(f"cli: start {n} apps under {which} (rep {rep + 1})")
            m = Drover(ctx, f"start{n}") if which == "drover" else PM2(ctx, f"start{n}")
            try:
                m.cli("ping")
                eco = write_json(os.path.join(m.home, "apps.json"), sleep_apps(n))
                t = time.perf_counter()
                m.cli("start", eco, timeout=300)
                out[which]["cmd_s"].append(time.perf_counter() - t)
                root = m.daemon_pid() if which == "drover" else m.god_pid()
                P.wait_until(lambda: _running(root) >= n, 120, 0.005, f"{n} apps running")
                out[which]["online_s"].append(time.perf_counter() - t)
            finally:
                m.kill()
    return out


def _running(root):
    """Apps (sleep processes) below the manager's daemon: read from /proc, so
    polling costs the manager nothing (polling `ls`/`jlist` would)."""
    return sum(1 for p in P.descendants(root) if P.comm(p) == "sleep")


def measure(ctx):
    cfg = ctx.cfg
    res = {"small": latency(ctx, cfg["cli_small"], cfg["cli_calls"])}
    if cfg["cli_big"]:
        res["big"] = latency(ctx, cfg["cli_big"], cfg["cli_calls_big"])
    res["start"] = start_many(ctx, cfg["start_n"])
    return res


def render(ctx, doc, res, plots):
    doc.h(2, TITLE)
    doc.p("""Wall time of one CLI invocation (process start to exit, output to a pipe), both
managers running with the same fork-mode `/bin/sleep` apps, calls interleaved. Median
[min–max] over every call ({reps} rotations × {c} / {cb} calls); ratios are paired call by
call.""".format(reps=ctx.cfg["reps"], c=ctx.cfg["cli_calls"], cb=ctx.cfg["cli_calls_big"]))
    rows = []
    goal_parts, goal_met = [], True
    for key in ("small", "big"):
        if key not in res:
            continue
        r = res[key]
        s = r["samples"]
        pm_ls, pm_j = s.get("pm2 ls"), s.get("pm2 jlist")
        for which, args in CALLS:
            lab = _label(which, args)
            v = s.get(lab)
            if which == "pm2":
                rows.append([r["apps"], f"`{lab}`", fmt(v, scale=1000) if v else
                             ctx.why_not("pm2") or "n/a", "", ""])
                continue
            if lab in BREAKDOWN:
                rows.append([r["apps"], f"`{lab}` (breakdown: " + (
                    "no daemon contact" if lab.endswith("version") else
                    "one daemon round trip") + ")", fmt(v, scale=1000), "", ""])
                continue
            vs_ls = paired_ratios(v, pm_ls) if pm_ls else []
            vs_j = paired_ratios(v, pm_j) if pm_j else []
            rows.append([r["apps"], f"`{lab}`", fmt(v, scale=1000),
                         fmt_ratio(vs_ls) if vs_ls else "n/a",
                         fmt_ratio(vs_j) if vs_j else "n/a"])
            if lab == "drover ls" and vs_ls:
                m = median(vs_ls)
                goal_parts.append(f"{r['apps']} apps: {m:.3f} (1/{1 / m:.0f})")
                goal_met = goal_met and m <= 1 / 50
    doc.table(["apps", "command", "ms", "÷ `pm2 ls`", "÷ `pm2 jlist`"], rows,
              ["r", "l", "r", "r", "r"])

    st = res["start"]
    n = ctx.cfg["start_n"]
    rows = []
    for which in ("drover", "pm2"):
        v = st.get(which)
        if not v:
            rows.append([which, ctx.why_not("pm2") or "n/a", "n/a", ""])
            continue
        ratio = ""
        if which == "drover" and st.get("pm2"):
            ratio = fmt_ratio(paired_ratios(v["online_s"], st["pm2"]["online_s"]))
        rows.append([which, fmt(v["cmd_s"], scale=1000), fmt(v["online_s"], scale=1000), ratio])
    doc.p(f"Starting {n} fork-mode apps from one ecosystem file, daemon already running:")
    doc.table(["manager", "`start apps.json` returns, ms", f"all {n} running, ms",
               "drover/PM2 (running)"], rows)
    big = res.get("big")
    if big:
        doc.p(f"For context, the {big['apps']:,} apps of the second table took "
              + ", ".join(f"{k} {v:.1f} s" for k, v in big["start_s"].items())
              + " until all were running (one run each).")
    errs = {k: v for key in ("small", "big") if key in res
            for k, v in res[key].get("kill_errors", {}).items() if v}
    if errs:
        doc.p("`kill` reported errors at teardown: " + "; ".join(
            f"{k}: `{v[:200]}`" for k, v in errs.items()))
    if goal_parts:
        ctx.goals.append({"goal": "`drover ls` ≤ 1/50 of `pm2 ls`",
                          "measured": "; ".join(goal_parts), "met": goal_met})
