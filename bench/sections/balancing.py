"""balancing.py - section 8: how requests are spread over the instances.

Spread: the hello app with 4 workers under each variant (drover's four
balancing modes, PM2 cluster, node cluster round-robin, nginx round robin in
front of 4 single processes) gets a fixed number of GETs, each on a new
connection (lib/wrk.spread), from 1, 8 and 64 concurrent clients on
127.0.0.1; drover sticky also from many client addresses (127.0.0.2 ...),
since it hashes the client address. Per run: the workers reached, the
busiest worker's share of the answers and the coefficient of variation of
the answers per worker (by the X-Pid header).

Slow/fast mix: bench/apps/mixed.js with 4 workers, where every 10th request
(GET /slow) takes ~100 ms of setTimeout, loaded by keep-alive clients
(lib/clients.KeepAlive) that each send a fixed number of requests: latency
p50/p99 of the fast requests, for drover's modes against nginx `least_conn`
and nginx round robin.
"""
import time

from lib import servers
from lib import wrk as W
from lib.clients import KeepAlive
from lib.report import NA
from lib.stats import cv, fmt, median, percentile

TITLE = "8. Balancing"


def _start(ctx, res, v, app, env=None):
    """Starts v with balance_workers instances of app and waits until every
    one is up; None (and the reason kept) if it cannot."""
    n = ctx.cfg["balance_workers"]
    port = W.free_port()
    try:
        srv = servers.start(ctx, v, ctx.app(app), port, n, env=env)
    except Exception as e:  # one broken peer must not sink the section
        ctx.log(f"balancing: {v} failed to start: {e}")
        res.setdefault("failures", {}).setdefault(v, []).append(
            str(e).replace(ctx.tmp, "$TMP")[:300])
        return None
    try:
        srv.wait_online(n, timeout=60)
        W.wait_http(port)
        time.sleep(ctx.cfg["settle_s"])   # "online" can come before a worker listens
    except Exception:
        srv.stop()
        raise
    res.setdefault("commands", {})[f"{v} {app}"] = srv.describe.replace(ctx.tmp, "$TMP")
    return srv


def spread_stats(seen, n, by_source=None):
    """Workers reached, busiest worker's share and CV from {pid: answers}
    (workers that got nothing count as 0, out of n)."""
    counts = sorted((c for pid, c in seen.items() if pid != "failed"), reverse=True)
    counts += [0] * max(0, n - len(counts))
    total = sum(counts)
    out = {"counts": counts, "answered": total, "failed": seen.get("failed", 0),
           "reached": sum(1 for c in counts if c),
           "busiest_pct": 100.0 * counts[0] / total if total else None, "cv": cv(counts)}
    if by_source is not None:
        out["sources"] = len(by_source)
        out["moved"] = sum(1 for d in by_source.values() if len(d) > 1)
    return out


def _spread(ctx, res, v, rep):
    cfg = ctx.cfg
    srv = _start(ctx, res, v, "hello.js")
    if srv is None:
        return
    sources = [f"127.0.0.{2 + i}" for i in range(cfg["balance_sources"])]
    try:
        for c in cfg["balance_concurrency"]:
            rows = [(v, None)] + ([(f"{v} sources", sources)] if v == "drover-sticky" else [])
            for key, src in rows:
                ctx.log(f"balancing: {key}, {c} clients (rep {rep + 1})")
                by_source = {} if src else None
                seen = W.spread(srv.port, cfg["balance_requests"], c, sources=src,
                                by_source=by_source)
                res["spread"].setdefault(key, {}).setdefault(str(c), []).append(
                    spread_stats(seen, cfg["balance_workers"], by_source))
    finally:
        srv.stop()


def _mix(ctx, res, v, rep):
    cfg = ctx.cfg
    every = cfg["mix_slow_every"]
    srv = _start(ctx, res, v, "mixed.js", env={"MIXED_SLOW_MS": str(cfg["mix_slow_ms"])})
    if srv is None:
        return
    ctx.log(f"balancing: slow/fast mix, {v} (rep {rep + 1})")
    try:
        load = KeepAlive(srv.port, cfg["mix_clients"], cfg["mix_pause_s"], cfg["mix_requests"],
                         paths=lambda client, k: "/slow" if (client + k) % every == 0 else "/")
        # a client's requests take mix_requests × (pause + a few ms) plus its slow ones
        r = load.start().join(timeout=30 + cfg["mix_requests"] * 0.1)
        out = r.result()
        fast, slow = r.latency_ms.get("/", []), r.latency_ms.get("/slow", [])
        out.update({"fast_p50_ms": percentile(fast, 50), "fast_p99_ms": percentile(fast, 99),
                    "slow_p50_ms": percentile(slow, 50), "slow_p99_ms": percentile(slow, 99),
                    "fast": len(fast), "slow": len(slow),
                    "spread": spread_stats(out["by_pid"], cfg["balance_workers"])})
        res["mix"].setdefault(v, []).append(out)
    finally:
        srv.stop()


def measure(ctx):
    cfg = ctx.cfg
    spread_vs = [v for v in cfg["balance_variants"] if servers.available(ctx, v)]
    mix_vs = [v for v in cfg["mix_variants"] if servers.available(ctx, v)]
    res = {"spread": {}, "mix": {}}
    for rep in range(cfg["reps"]):
        for v in ctx.rotation(spread_vs, rep):
            _spread(ctx, res, v, rep)
        for v in ctx.rotation(mix_vs, rep):
            _mix(ctx, res, v, rep)
    return res


def _why(ctx, v):
    return ctx.why_not(servers.NEEDS.get(v, v)) or "n/a (failed to start, see below)"


def _label(key):
    v = key.split()[0]
    return "nginx round robin" if v == "nginx" else servers.SHORT[v]


def render(ctx, doc, res, plots):
    cfg = ctx.cfg
    n = cfg["balance_workers"]
    doc.h(2, TITLE)
    doc.p(f"""**Spread.** The hello app with {n} workers; {cfg['balance_requests']:,} GETs per row,
each on a new connection (`Connection: close`), from 1, 8 or 64 concurrent clients on
127.0.0.1 (`bench/lib/wrk.py` `spread()`); the worker that answered is the `X-Pid` header.
drover: `--balancing shared` (the default: one listening socket all workers accept on),
`slots` (one `SO_REUSEPORT` socket per instance slot: the kernel picks one by a hash of the
connection), `sticky` (slots, and a kernel program picks the slot from the client address
alone, so everything from one address goes to one worker — from a single 127.0.0.1 that is
one worker by design; the "{cfg['balance_sources']} client addresses" row sends request k
from 127.0.0.(2 + k mod {cfg['balance_sources']}), like many users), `least_conn` (slots,
and a kernel program picks the slot whose workers hold the fewest open connections, ties at
random). PM2 and node cluster
(`SCHED_RR`): the primary accepts and hands connections round-robin. nginx: round robin over
{n} single node processes. **workers reached**: of {n}; **busiest worker**: its share of the
answers ({100 / n:g} % is an even spread, 100 % is one worker for everything); **CV**: the
coefficient of variation of the answers per worker (standard deviation ÷ mean; 0 is even,
{cv([1] + [0] * (n - 1)):.2f} is one worker for everything). Median [min–max] over
{cfg['reps']} runs.""")
    rows = []
    keys = []
    for v in cfg["balance_variants"]:
        keys.append(v)
        if v == "drover-sticky":
            keys.append(f"{v} sources")
    goal_parts, goal_met, goal_known = [], True, False
    for key in keys:
        v = key.split()[0]
        by_c = res["spread"].get(key)
        who = "127.0.0.1" if not key.endswith("sources") else \
            f"{cfg['balance_sources']} client addresses"
        if not by_c:
            rows.append([_label(key), who, "", _why(ctx, v)])
            continue
        for c in cfg["balance_concurrency"]:
            rs = by_c.get(str(c), [])
            if not rs:
                continue
            moved = sum(r.get("moved", 0) for r in rs)
            rows.append([_label(key), who, c, fmt([r["reached"] for r in rs], 0),
                         fmt([r["busiest_pct"] for r in rs], 0), fmt([r["cv"] for r in rs], 2),
                         sum(r["failed"] for r in rs),
                         f"{moved} of {sum(r['sources'] for r in rs)}" if "sources" in rs[0]
                         else "—"])
            if v == "drover-shared":
                goal_known = True
                reached = median([r["reached"] for r in rs])
                goal_met = goal_met and reached >= n
                goal_parts.append(f"{c} client{'s' if c > 1 else ''}: {reached:g} of {n}")
    doc.table(["variant", "from", "concurrent clients", f"workers reached (of {n})",
               "busiest worker, %", "CV", "failed (sum)", "addresses answered by >1 worker"],
              rows, ["l", "l", "r", "r", "r", "r", "r", "l"])
    cs = [str(c) for c in cfg["balance_concurrency"]]
    cs = ", ".join(cs[:-1]) + " and " + cs[-1] if len(cs) > 1 else cs[0]
    ctx.goals.append({"goal": f"the default balancing reaches every instance at {cs} "
                              "clients (issue 11)",
                      "measured": ("drover shared, workers reached (median): " +
                                   "; ".join(goal_parts)) if goal_known else NA,
                      "met": goal_met if goal_known else None})

    doc.p(f"""**Slow and fast requests.** `bench/apps/mixed.js` with {n} workers: `GET /slow`
answers after {cfg['mix_slow_ms']} ms (`setTimeout`, the worker stays free meanwhile),
anything else at once. {cfg['mix_clients']} keep-alive clients (`bench/lib/clients.py`, one
connection each, {cfg['mix_pause_s'] * 1000:g} ms between requests) send
{cfg['mix_requests']} requests each, every {cfg['mix_slow_every']}th of them to `/slow`;
latency is from sending a request to the last byte of its answer, in ms. drover balances
connections, not requests: a keep-alive connection stays with the worker that accepted it,
while nginx picks an upstream per request. drover's `least_conn` picks, for each new
connection, the slot whose workers hold the fewest open connections at that moment (the
shim counts them in shared memory, an eBPF program on the port's `SO_REUSEPORT` group reads
them; a root daemon); its other modes pick by hash or by whichever worker accepts first.
Compared with nginx `least_conn` and nginx round robin. Median [min–max] over {cfg['reps']}
runs.""")
    rows = []
    for v in cfg["mix_variants"]:
        rs = res["mix"].get(v)
        label = _label(v)
        if not rs:
            rows.append([label, _why(ctx, v)])
            continue
        rows.append([label, fmt([r["fast_p50_ms"] for r in rs], 2),
                     fmt([r["fast_p99_ms"] for r in rs], 2),
                     fmt([r["slow_p50_ms"] for r in rs], 1),
                     fmt([r["slow_p99_ms"] for r in rs], 1),
                     fmt([r["requests"] for r in rs], 0), sum(r["errors"] for r in rs),
                     fmt([r["spread"]["reached"] for r in rs], 0),
                     fmt([r["spread"]["busiest_pct"] for r in rs], 0)])
    doc.table(["variant", "fast p50, ms", "fast p99, ms", "slow p50, ms", "slow p99, ms",
               "requests", "failed (sum)", f"workers reached (of {n})", "busiest worker, %"],
              rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r"])
    for v, errs in res.get("failures", {}).items():
        doc.p(f"**{servers.SHORT[v]} failed to start {len(errs)} time(s):** `{errs[0]}`")
    if res.get("commands"):
        doc.p("Commands:")
        doc.code("\n".join(f"{k}:\n  {c}" for k, c in res["commands"].items()))
