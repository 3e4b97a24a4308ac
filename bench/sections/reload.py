"""reload.py - section 4: requests lost over rolling reloads under load.

The hello app runs with 2 instances under drover (`drover reload`, in each
balancing mode), PM2 cluster (`pm2 reload`) and node's cluster module (a
rolling reload by the primary on SIGHUP, bench/apps/cluster.js), in two
variants: graceful (the app closes its server on SIGINT and exits when
in-flight requests are done) and abrupt (node's default: exit at once on
SIGINT). Two kinds of client load it while the harness runs the reloads back
to back:

  close      wrk with `Connection: close` (every request a new connection, so
             every reload meets queued connections); failed requests are wrk's
             socket errors (connect, read, write, timeout) plus non-2xx answers
  keepalive  lib/clients.KeepAlive: keep-alive clients at a moderate rate that
             retry once when a reused idle connection was closed before any
             answer byte (as browsers do); every other failure counts
"""
import time

from lib import servers
from lib import wrk as W
from lib.clients import KeepAlive
from lib.report import NA
from lib.stats import fmt, median

TITLE = "4. Reload under load"

MANAGERS = [("drover-shared", "drover (shared)"), ("drover-slots", "drover (slots)"),
            ("drover-sticky", "drover (sticky)"), ("pm2", "PM2 cluster"),
            ("node-rr", "node cluster (rr)")]
LABEL = dict(MANAGERS)
CLIENTS = {"close": "wrk, Connection: close", "keepalive": "keep-alive, retry once"}
STOPS = {"graceful": "Reload of a graceful app (closes its server on SIGINT)",
         "abrupt": "Reload of an abrupt app (exits at once on SIGINT, node's default)"}


def one(ctx, variant, stop, client):
    cfg = ctx.cfg
    port = W.free_port()
    srv = servers.start(ctx, variant, ctx.app("hello.js"), port, 2,
                        env={"BENCH_STOP": stop} if stop == "graceful" else {})
    out = {"reload_s": [], "reload_rc": []}
    try:
        srv.wait_online(2, timeout=60)
        if client == "close":
            load = W.Background(ctx.procs, f"http://127.0.0.1:{port}/", cfg["wrk_threads"],
                                cfg["wrk_conns"], close=True)
        else:
            load = KeepAlive(port, cfg["reload_ka_clients"], cfg["reload_ka_pause_s"]).start()
        t0 = time.perf_counter()
        try:
            time.sleep(cfg["reload_pad_s"])
            for _ in range(cfg["reload_rounds"]):
                t = time.perf_counter()
                out["reload_rc"].append(srv.reload(timeout=120))
                out["reload_s"].append(time.perf_counter() - t)
            time.sleep(cfg["reload_pad_s"])
        finally:
            if client == "close":
                r = load.stop()
                r.pop("raw", None)
            else:
                r = load.stop().result()
        out["duration_s"] = time.perf_counter() - t0
        out.update(r)
        out["online_after"] = len(srv.online())
    finally:
        srv.stop()
    return out


def _runnable(ctx, v):
    if v not in ctx.cfg["reload_managers"] or not servers.available(ctx, v):
        return False
    return ctx.cap("reload") if v.startswith("drover") else True


def measure(ctx):
    variants = [(v, s, c) for v, _ in MANAGERS if _runnable(ctx, v)
                for s in ctx.cfg["reload_stops"] for c in ctx.cfg["reload_clients"]]
    res = {"runs": {}}
    for rep in range(ctx.cfg["reps"]):
        for which, stop, client in ctx.rotation(variants, rep):
            ctx.log(f"reload: {which}, {stop} app, {client} client, "
                    f"{ctx.cfg['reload_rounds']} reloads (rep {rep + 1})")
            res["runs"].setdefault(f"{which} {stop} {client}", []).append(
                one(ctx, which, stop, client))
    return res


def _runs(res, which, stop, client):
    rs = res["runs"].get(f"{which} {stop} {client}")
    if rs is None and client == "close":   # results.json from before the keep-alive client
        rs = res["runs"].get(f"{which} {stop}")
    return rs


def _kinds(rs, client):
    if client == "close":
        tot = {k: sum(r[k] for r in rs) for k in ("connect", "read", "write", "timeout", "non2xx")}
    else:
        tot = {}
        for r in rs:
            for k, v in r.get("error_kinds", {}).items():
                tot[k] = tot.get(k, 0) + v
    return ", ".join(f"{k} {v}" for k, v in tot.items() if v) or "—"


def _why(ctx, which):
    if which.startswith("drover"):
        return NA
    return ctx.why_not(servers.NEEDS.get(which, which)) or "n/a (not run in this profile)"


def _goal(ctx, by, client, name):
    parts, met, known = [], True, False
    for stop in ctx.cfg["reload_stops"]:
        p = by.get(("pm2", stop, client))
        for which, label in MANAGERS:
            d = by.get((which, stop, client))
            if not which.startswith("drover") or d is None:
                continue
            known = True
            parts.append(f"{stop} app, {label}: {d:g} (PM2 {'n/a' if p is None else f'{p:g}'})")
            if d > 0 and (p is None or p > 0 or stop == "graceful"):
                met = False
    ctx.goals.append({
        "goal": name,
        "measured": ("failed requests per run (median): " + "; ".join(parts)) if known else NA,
        "met": met if known else None})


def render(ctx, doc, res, plots):
    cfg = ctx.cfg
    doc.h(2, TITLE)
    doc.p(f"""{cfg['reload_rounds']} rolling reloads back to back of a 2-instance hello app, each
waited for: `drover reload web` (with its default `drain_timeout`, in each balancing mode),
`pm2 reload web`, and node's cluster module (`kill -HUP` to the primary of
`bench/apps/cluster.js`, which does what node cluster users write: for each old worker fork a
new one, wait for its `listening`, then `worker.kill('SIGINT')` — node disconnects the worker,
so the primary stops routing to it, then signals it). {cfg['reload_pad_s']} s of load before
the first reload and after the last. **graceful**: the app calls `server.close()` on SIGINT
and exits when in-flight requests are done; **abrupt**: node's default, exit at once on
SIGINT — most apps. Two clients, in separate runs:""")
    doc.p(f"""- **wrk, Connection: close**: `wrk -t{cfg['wrk_threads']} -c{cfg['wrk_conns']}
  -H 'Connection: close'`, a new connection per request, as much load as the machine takes;
  failed = wrk's socket errors + non-2xx.
- **keep-alive, retry once**: {cfg['reload_ka_clients']} Python clients
  (`bench/lib/clients.py`), each keeping one HTTP/1.1 connection and pausing
  {cfg['reload_ka_pause_s'] * 1000:g} ms between requests (a moderate load, not a saturating
  one). A request that fails on a reused connection before any byte of the answer (the server
  closed the idle connection) is retried once on a new connection, as browsers do ("retried"
  column); any other failure counts, among them a connection or an answer that did not
  come within 5 s (`TimeoutError`).

Median [min–max] over {cfg['reps']} runs.""")
    cats, series = [], {c: [] for c in CLIENTS}
    by = {}
    for stop in cfg["reload_stops"]:
        doc.h(3, STOPS.get(stop, stop))
        rows = []
        for which, label in MANAGERS:
            if which not in cfg["reload_managers"]:
                continue
            cats.append(f"{label} {stop}")
            for client in cfg["reload_clients"]:
                rs = _runs(res, which, stop, client)
                if not rs:
                    rows.append([label, CLIENTS[client], _why(ctx, which)])
                    series[client].append(None)
                    continue
                failed = [r["errors"] for r in rs]
                by[(which, stop, client)] = median(failed)
                series[client].append(median(failed))
                rows.append([label, CLIENTS[client], fmt(failed, 0),
                             fmt([r["requests"] for r in rs], 0),
                             fmt([100.0 * r["errors"] / max(1, r["requests"]) for r in rs], 3),
                             _kinds(rs, client),
                             fmt([r["retries"] for r in rs], 0) if client == "keepalive"
                             else "—",
                             fmt([median(r["reload_s"]) for r in rs], 2),
                             "ok" if all(min(r["online_after"], 2) == 2 and
                                         not any(r["reload_rc"]) for r in rs) else "NOT ok"])
            for c in CLIENTS:
                if c not in cfg["reload_clients"]:
                    series[c].append(None)
        doc.table(["manager", "client", "failed requests", "requests served", "failed %",
                   "error kinds (sum of runs)", "retried", "one reload, s",
                   "reloads ok, 2 online after"],
                  rows, ["l", "l", "r", "r", "r", "l", "r", "r", "l"])
    if not ctx.cap("reload"):
        doc.p(f"drover rows: {NA} (reload probe: `{ctx.caps.get('reload')}`).")
    if plots is not None and any(v is not None for s in series.values() for v in s):
        png = plots.bars("reload.png", f"Failed requests over {cfg['reload_rounds']} "
                         "reloads (median)", "failed requests", cats,
                         [(CLIENTS[c], series[c]) for c in CLIENTS])
        if png:
            doc.image("reload error counts", png)
    _goal(ctx, by, "close", "0 failed requests on reload where PM2 fails some")
    if "keepalive" in cfg["reload_clients"]:
        _goal(ctx, by, "keepalive", "0 failed requests on reload with keep-alive clients "
                                    "that retry once (issue 11)")
