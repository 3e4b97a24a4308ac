"""reload.py - section 4: requests lost over rolling reloads under load.

The hello app runs with 2 instances under drover (`drover reload`) and PM2
cluster (`pm2 reload`), in two variants: graceful (the app closes its server
on SIGINT and exits when in-flight requests are done) and abrupt (node's
default: exit at once on SIGINT). wrk loads it with `Connection: close`
(every request a new connection, so every reload meets queued connections)
while the harness runs the reloads back to back; failed requests are wrk's
socket errors (connect, read, write, timeout) plus non-2xx answers.
"""
import time

from lib import servers
from lib import wrk as W
from lib.managers import online, wait_online
from lib.report import NA
from lib.stats import fmt, median

TITLE = "4. Reload under load"


MANAGERS = [("drover-shared", "drover (shared)"), ("drover-slots", "drover (slots)"),
            ("pm2", "PM2 cluster")]


def one(ctx, variant, stop):
    port = W.free_port()
    srv = servers.start(ctx, variant, ctx.app("hello.js"), port, 2,
                        env={"BENCH_STOP": stop} if stop == "graceful" else {})
    out = {"reload_s": [], "reload_rc": []}
    try:
        wait_online(srv.mgr, 2, timeout=60)
        url = f"http://127.0.0.1:{port}/"
        bg = W.Background(ctx.procs, url, ctx.cfg["wrk_threads"], ctx.cfg["wrk_conns"],
                          close=True)
        t0 = time.perf_counter()
        try:
            time.sleep(ctx.cfg["reload_pad_s"])
            for _ in range(ctx.cfg["reload_rounds"]):
                t = time.perf_counter()
                r = srv.mgr.cli("reload", "web", check=False, timeout=120)
                out["reload_s"].append(time.perf_counter() - t)
                out["reload_rc"].append(r.returncode)
            time.sleep(ctx.cfg["reload_pad_s"])
        finally:
            w = bg.stop()
        out["duration_s"] = time.perf_counter() - t0
        w.pop("raw", None)
        out.update(w)
        out["online_after"] = len(online(srv.mgr))
    finally:
        srv.stop()
    return out


def measure(ctx):
    variants = []
    stops = ctx.cfg["reload_stops"]
    for v, _ in MANAGERS:
        if v == "pm2" and ctx.ok("pm2") or v != "pm2" and ctx.cap("reload") and \
                servers.available(ctx, v) and v in ctx.cfg["reload_managers"]:
            variants += [(v, s) for s in stops]
    res = {"runs": {}}
    for rep in range(ctx.cfg["reps"]):
        for which, stop in ctx.rotation(variants, rep):
            ctx.log(f"reload: {which}, {stop} app, {ctx.cfg['reload_rounds']} reloads "
                    f"(rep {rep + 1})")
            res["runs"].setdefault(f"{which} {stop}", []).append(one(ctx, which, stop))
    return res


def render(ctx, doc, res, plots):
    doc.h(2, TITLE)
    doc.p(f"""{ctx.cfg['reload_rounds']} rolling reloads back to back (`drover reload web` /
`pm2 reload web`, each waited for) of a 2-instance hello app under
`wrk -t{ctx.cfg['wrk_threads']} -c{ctx.cfg['wrk_conns']} -H 'Connection: close'`,
{ctx.cfg['reload_pad_s']} s of load before the first and after the last. **graceful**: the app calls `server.close()` on SIGINT
and exits when in-flight requests are done; **abrupt**: node's default, exit at once on
SIGINT. Median [min–max] over {ctx.cfg['reps']} runs; failed = socket errors + non-2xx.""")
    rows = []
    cats, failed_med = [], []
    for which, label in MANAGERS:
        if which.startswith("drover") and which not in ctx.cfg["reload_managers"]:
            continue
        for stop in ctx.cfg["reload_stops"]:
            rs = res["runs"].get(f"{which} {stop}")
            if not rs:
                why = NA if which != "pm2" else (ctx.why_not("pm2") or "n/a")
                rows.append([label, stop, why])
                cats.append(f"{label} {stop}")
                failed_med.append(None)
                continue
            failed = [r["errors"] for r in rs]
            detail = {k: sum(r[k] for r in rs) for k in ("connect", "read", "write", "timeout",
                                                         "non2xx")}
            rows.append([label, stop, fmt(failed, 0), fmt([r["requests"] for r in rs], 0),
                         fmt([100.0 * r["errors"] / max(1, r["requests"]) for r in rs], 3),
                         ", ".join(f"{k} {v}" for k, v in detail.items() if v) or "—",
                         fmt([median(r["reload_s"]) for r in rs], 2),
                         "ok" if all(min(r["online_after"], 2) == 2 and
                                     not any(r["reload_rc"]) for r in rs) else "NOT ok"])
            cats.append(f"{label} {stop}")
            failed_med.append(median(failed))
    doc.table(["manager", "app", "failed requests", "requests served", "failed %",
               "error kinds (sum of runs)", "one reload, s", "exit codes 0, 2 online after"],
              rows, ["l", "l", "r", "r", "r", "l", "r", "l"])
    if not ctx.cap("reload"):
        doc.p(f"drover rows: {NA} (reload probe: `{ctx.caps.get('reload')}`).")
    if plots is not None and any(v is not None for v in failed_med):
        png = plots.bars("reload.png", f"Failed requests over {ctx.cfg['reload_rounds']} "
                         "reloads (median)", "failed requests", cats,
                         [("failed requests", failed_med)])
        if png:
            doc.image("reload error counts", png)
    by = dict(zip(cats, failed_med))
    parts, met, known = [], True, False
    for stop in ctx.cfg["reload_stops"]:
        p = by.get(f"PM2 cluster {stop}")
        for which, label in MANAGERS[:2]:
            d = by.get(f"{label} {stop}")
            if d is None:
                continue
            known = True
            parts.append(f"{stop} app, {label}: {d:g} (PM2 {'n/a' if p is None else f'{p:g}'})")
            if d > 0 and (p is None or p > 0 or stop == "graceful"):
                met = False
    ctx.goals.append({
        "goal": "0 failed requests on reload where PM2 fails some",
        "measured": ("failed requests per run (median): " + "; ".join(parts)) if known else NA,
        "met": met if known else None})
