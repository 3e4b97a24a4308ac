"""cluster.py - section 3: cluster throughput and latency, 2 instances.

Every way of serving the same node app with 2 instances on one port
(lib/servers.py) is loaded by wrk on loopback, keep-alive and
`Connection: close`, for the hello-world app and the CPU-bound one. For each
app and repetition every available variant runs once in the same order
(A B C ... A B C ...): start it, warm up, wrk keep-alive, wrk close, stop it.
Ratios are paired within a repetition against the no-manager limit (the same
2 processes on one shared socket, nothing else) and against PM2 cluster.
"""
from lib import procs as P
from lib import servers
from lib import wrk as W
from lib.report import NA
from lib.stats import fmt, fmt_ratio, median, paired_ratios

TITLE = "3. Cluster throughput and latency"


def measure(ctx):
    cfg = ctx.cfg
    variants = [v for v in servers.VARIANTS
                if servers.available(ctx, v) and v not in cfg["http_skip"]]
    res = {"variants": variants, "runs": {}, "commands": {}}
    for app in cfg["http_apps"]:
        path = ctx.app(f"{app}.js")
        for rep in range(cfg["reps"]):
            for v in ctx.rotation(variants, rep):
                modes = list(cfg["http_modes"])
                if ctx.smoke and v == "single" and "close" not in modes:
                    modes.append("close")
                ctx.log(f"cluster: {app}, {v} (rep {rep + 1})")
                port = W.free_port()
                try:
                    srv = servers.start(ctx, v, path, port, 2)
                except Exception as e:  # one broken peer must not sink the section
                    ctx.log(f"cluster: {v} failed to start: {e}")
                    res.setdefault("failures", {}).setdefault(v, []).append(
                        str(e).replace(ctx.tmp, "$TMP")[:300])
                    continue
                res["commands"][v] = srv.describe.replace(ctx.tmp, "$TMP")
                try:
                    url = f"http://127.0.0.1:{port}/"
                    if cfg["http_warmup_s"]:
                        W.run_wrk(url, cfg["http_warmup_s"], cfg["wrk_threads"], cfg["wrk_conns"])
                    workers, front = srv.workers(), srv.front()
                    for mode in modes:
                        w0 = [P.cpu_seconds(p) for p in workers]
                        f0 = {p: P.cpu_seconds(p) for p in front}
                        r = W.run_wrk(url, cfg["http_s"], cfg["wrk_threads"], cfg["wrk_conns"],
                                      close=(mode == "close"))
                        r.pop("raw", None)
                        wd = [P.cpu_seconds(p) - c for p, c in zip(workers, w0)]
                        r["worker_cpu_s"] = wd
                        r["front_cpu_s"] = sum(P.cpu_seconds(p) - c for p, c in f0.items())
                        res["runs"].setdefault(app, {}).setdefault(mode, {}) \
                            .setdefault(v, []).append(r)
                finally:
                    srv.stop()
    res["wrk"] = " ".join(W.command("http://127.0.0.1:PORT/", cfg["http_s"], cfg["wrk_threads"],
                                     cfg["wrk_conns"]))
    return res


def _vals(runs, key):
    return [r[key] for r in runs] if runs else []


def _split(runs):
    """How evenly the 2 workers shared the work: their CPU shares in %,
    busiest first, from the run with the median imbalance."""
    splits = []
    for r in runs:
        w = r.get("worker_cpu_s") or []
        tot = sum(w)
        if len(w) >= 2 and tot > 0:
            splits.append(sorted((100 * x / tot for x in w), reverse=True))
    if not splits:
        return "—"
    splits.sort(key=lambda s: s[0])
    mid = splits[len(splits) // 2]
    return "/".join(f"{x:.0f}" for x in mid)


def _front(runs, seconds):
    """CPU of what sits in front of the workers (manager, primary, proxy) in %
    of one core during the load."""
    v = [100 * r["front_cpu_s"] / seconds for r in runs if "front_cpu_s" in r]
    return fmt(v, 0) if v and any(v) else ("0" if v else "—")


def render(ctx, doc, res, plots):
    cfg = ctx.cfg
    doc.h(2, TITLE)
    doc.p(f"""Load: `{res['wrk']}` on loopback (`-H 'Connection: close'` for the close rows),
after a {cfg['http_warmup_s']} s warm-up, wrk sharing the machine's {ctx.machine['cpus']} CPUs
with the servers. `hello` answers a fixed string; `cpu` computes fib(25) per request
(~0.6 ms of JavaScript). req/s and latency are median [min–max] over {cfg['reps']} runs; the
ratios are paired per run: **÷ limit** against the same 2 processes on one shared socket with
no manager (`bench/apps/nomgr.py`), **÷ PM2** against PM2 cluster mode. **worker CPU split**:
each worker's share of the workers' CPU time during the load (50/50 is an even spread; with
keep-alive the 50 connections are accepted once, so a shared socket's accept order decides
the spread for the whole run). **front CPU**: CPU of what runs in front of or around the
workers (drover's daemon and supervisors, PM2's God, the cluster primary, nginx, HAProxy) in %
of one core. Errors are wrk's socket errors plus non-2xx responses, summed over runs.""")
    doc.p("""**Sessions and the scheduler.** wrk runs on the same CPUs as the servers. With the
kernel's autogroup scheduling on (see Machine), every session is one scheduling entity that
gets a fair share of the CPUs: wrk is one, and a server whose 2 workers run in separate
sessions (drover's instances, like systemd's services, the no-manager limit, the processes
behind nginx and HAProxy) gets more CPU against it than one whose workers share a session
(node's cluster module, PM2). The row "no manager, shared socket, 1 session" is the limit
with both workers in one session: its distance to the limit is the size of this effect on
this machine, not a cost of any manager. Compare drover with the limit, PM2 with the
1-session row.""")
    runs = res.get("runs", {})
    goal_notes, goal_met, goal_known = [], True, False
    plot_cats, plot_series = [], {}
    for app, by_mode in runs.items():
        for mode, by_v in by_mode.items():
            doc.h(3, f"{app}, {'keep-alive' if mode == 'keepalive' else 'Connection: close'}")
            limit = _vals(by_v.get("nomgr"), "rps")
            pm2 = _vals(by_v.get("pm2"), "rps")
            rows = []
            for v in servers.VARIANTS:
                rs = by_v.get(v)
                if not rs:
                    if v in res["variants"] or v in cfg["http_skip"] or \
                            (ctx.smoke and mode == "close"):
                        continue
                    why = ctx.why_not(servers.NEEDS.get(v, v)) or "n/a"
                    rows.append([servers.LABELS[v], why, "", "", "", "", ""])
                    continue
                rps = _vals(rs, "rps")
                r_lim = paired_ratios(rps, limit) if limit and v != "nomgr" else []
                r_pm2 = paired_ratios(rps, pm2) if pm2 and v != "pm2" else []
                rows.append([servers.LABELS[v], fmt(rps, 0), fmt(_vals(rs, "p50_ms"), 2),
                             fmt(_vals(rs, "p99_ms"), 2),
                             fmt_ratio(r_lim) if r_lim else ("1" if v == "nomgr" else "n/a"),
                             fmt_ratio(r_pm2) if r_pm2 else ("1" if v == "pm2" else "n/a"),
                             _split(rs), _front(rs, cfg["http_s"]),
                             sum(r["errors"] for r in rs)])
                plot_series.setdefault(v, {})[f"{app} {mode}"] = median(r_lim) if r_lim else \
                    (1.0 if v == "nomgr" else None)
                if v.startswith("drover") and r_lim and r_pm2:
                    goal_known = True
                    ok = median(r_lim) >= 0.97 and median(r_pm2) >= 1.0
                    goal_met = goal_met and ok
                    goal_notes.append(f"{v} {app} {mode}: {median(r_lim):.3f}× limit, "
                                      f"{median(r_pm2):.2f}× PM2")
            plot_cats.append(f"{app} {mode}")
            doc.table(["variant", "req/s", "p50 ms", "p99 ms", "÷ limit", "÷ PM2",
                       "worker CPU split %", "front CPU %", "errors"], rows)
    for v, errs in res.get("failures", {}).items():
        doc.p(f"**{servers.LABELS[v]} failed to start {len(errs)} time(s):** `{errs[0]}`")
    if not (ctx.cap("cluster-shared") and ctx.cap("cluster-slots")):
        doc.p(f"""drover rows marked {NA}: the probe (`start hello.js -i 2 --port P
--balancing shared|slots`, both workers online without restarts, both holding the listening
socket, both answering) failed with: shared: `{ctx.caps.get('cluster-shared')}`; slots:
`{ctx.caps.get('cluster-slots')}`. They fill in by themselves once cluster mode lands.""")
    doc.p("Commands (PORT is a free port chosen per run):")
    doc.code("\n".join(f"{servers.LABELS[v]}:\n  {c}" for v, c in res.get("commands", {}).items()))

    if plots is not None and plot_series:
        order = [v for v in servers.VARIANTS if v in plot_series and v != "nomgr"]
        series = [(c, [plot_series[v].get(c) for v in order]) for c in plot_cats]
        png = plots.bars("throughput.png", "Throughput relative to the no-manager limit "
                         "(2 instances, median)", "req/s ÷ limit",
                         [servers.SHORT[v] for v in order], series,
                         hline=(1.0, "no-manager limit"))
        if png:
            doc.image("throughput by mode", png)

    ctx.goals.append({
        "goal": "cluster throughput ≥ PM2 cluster and ≥ 0.97 × the no-manager limit",
        "measured": "; ".join(goal_notes) if goal_known else NA,
        "met": goal_met if goal_known else None})
