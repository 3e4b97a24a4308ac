"""memory.py - section 1: what the manager itself costs in memory.

drover's figure is the sum over the daemon and every drover-sup (one per
instance, statically linked); PM2's is its God daemon. Both RSS (what the
issue's goal is stated in) and PSS (RSS with shared pages divided among the
processes sharing them) are summed from /proc. Fork mode runs /bin/sleep
apps so the apps cost nothing and start fast; cluster mode runs the node
hello app with -i N (PM2's God is then also the cluster primary).
"""
import os
import time

from lib import procs as P
from lib import servers
from lib.managers import PM2, Drover, sleep_apps, wait_online, write_json
from lib.report import NA
from lib.stats import fmt, fmt_ratio, median, paired_ratios
from lib.wrk import free_port

TITLE = "1. Manager memory"


def snapshot(mgr):
    pids = mgr.manager_pids()
    rolls = [P.rollup(p) for p in pids]
    out = {"procs": len(pids), "rss_kb": sum(r.get("Rss", 0) for r in rolls),
           "pss_kb": sum(r.get("Pss", 0) for r in rolls),
           "uss_kb": sum(r.get("Private_Clean", 0) + r.get("Private_Dirty", 0) for r in rolls)}
    if isinstance(mgr, Drover):
        d = mgr.daemon_pid()
        out["daemon_rss_kb"] = P.rss_kb(d) if d else 0
        out["daemon_pss_kb"] = P.pss_kb(d) if d else 0
        sups = [p for p in pids if P.comm(p) == "drover-sup"]
        out["sups"] = len(sups)
        out["sup_rss_kb_median"] = median([P.rss_kb(p) for p in sups])
        out["sup_pss_kb_median"] = median([P.pss_kb(p) for p in sups])
        if sups:
            r = P.rollup(sups[0])
            out["sup_anon_kb"] = r.get("Anonymous", 0)
            out["sup_file_kb"] = r.get("Rss", 0) - r.get("Anonymous", 0)
    return out


def one_fork(ctx, which, n):
    mgr = Drover(ctx, f"mem{n}") if which == "drover" else PM2(ctx, f"mem{n}")
    try:
        if n:
            eco = write_json(os.path.join(mgr.home, "apps.json"), sleep_apps(n))
            mgr.cli("start", eco, timeout=300)
            wait_online(mgr, n, timeout=120)
        else:
            mgr.cli("ping")
        time.sleep(ctx.cfg["mem_settle_s"])
        return snapshot(mgr)
    finally:
        mgr.kill()


def one_cluster(ctx, which, n):
    variant = "drover-shared" if which == "drover" else "pm2"
    srv = servers.start(ctx, variant, ctx.app("hello.js"), free_port(), n)
    try:
        wait_online(srv.mgr, n, timeout=180)
        time.sleep(ctx.cfg["mem_settle_s"])
        return snapshot(srv.mgr)
    finally:
        srv.stop()


def measure(ctx):
    cfg = ctx.cfg
    res = {"fork": {}, "cluster": {}, "skipped": {}}
    fork_mgrs = ["drover"] + (["pm2"] if ctx.ok("pm2") else [])
    for n in cfg["mem_counts"]:
        runs = {m: [] for m in fork_mgrs}
        for rep in range(cfg["reps"]):
            for m in ctx.rotation(fork_mgrs, rep):
                ctx.log(f"memory: fork, {n} apps, {m} (rep {rep + 1})")
                runs[m].append(one_fork(ctx, m, n))
        res["fork"][str(n)] = runs

    cl_mgrs = ([] if not ctx.cap("cluster-shared") else ["drover"]) + \
              (["pm2"] if ctx.ok("pm2") else [])
    for n in cfg["mem_cluster_counts"]:
        # node hello workers cost ~45 MB each; only one manager runs at a time
        need_kb = n * 60 * 1024 + 512 * 1024
        if P.mem_available_kb() < need_kb:
            res["skipped"][str(n)] = f"needs ~{need_kb // 1024} MB free for {n} node workers"
            continue
        runs = {m: [] for m in cl_mgrs}
        for rep in range(cfg["reps"]):
            for m in ctx.rotation(cl_mgrs, rep):
                ctx.log(f"memory: cluster, {n} instances, {m} (rep {rep + 1})")
                runs[m].append(one_cluster(ctx, m, n))
        res["cluster"][str(n)] = runs
    return res


def _col(runs, key):
    return [r[key] / 1024 for r in runs] if runs else []


def render(ctx, doc, res, plots):
    doc.h(2, TITLE)
    doc.p("""Total memory of the manager, apps excluded: for drover the daemon plus every
`drover-sup` (one per instance), for PM2 its God daemon. MB = 1024 KiB. Fork-mode apps are
`/bin/sleep 3600` started from one ecosystem file; cluster-mode apps are `bench/apps/hello.js`
with `-i N`. Each figure is sampled after the apps are online and a settle time of
{settle} s; median [min–max] over {reps} runs, managers interleaved.""".format(
        settle=ctx.cfg["mem_settle_s"], reps=ctx.cfg["reps"]))
    doc.p("""**RSS, PSS, USS.** RSS counts every page a process maps, including the pages of
the executable and shared libraries that other processes map too; summing RSS over 100
`drover-sup` processes counts the same read-only text 100 times. PSS divides each shared page
among its sharers, so the PSS sum is what the processes add to the machine's memory — the fair
figure for many small processes. USS counts only the pages no other process maps: what
would be freed if the manager went away. The issue's goal is stated in RSS and is reported as
such. PM2's PSS and USS depend on what else runs: its God daemon shares the node binary's
text (tens of MB) with every other node process on the machine — its cluster workers, and
any unrelated node — so both drop when those run; its RSS does not. drover's supervisors
share only their own executable, among themselves.""")
    rows, rrows = [], []
    ratios = {}
    for mode in ("fork", "cluster"):
        for n, runs in res.get(mode, {}).items():
            dr, pm = runs.get("drover"), runs.get("pm2")
            pm_na = ctx.why_not("pm2") or "n/a"
            rows.append([mode, n] + [fmt(_col(dr, k)) if dr else NA
                                     for k in ("rss_kb", "pss_kb", "uss_kb")]
                        + [f"1 + {dr[0]['sups']}" if dr and "sups" in dr[0] else ""]
                        + [fmt(_col(pm, k)) if pm else pm_na for k in ("rss_kb", "pss_kb",
                                                                         "uss_kb")])
            rr = [paired_ratios(_col(dr, k), _col(pm, k)) if dr and pm else []
                  for k in ("rss_kb", "pss_kb", "uss_kb")]
            ratios[(mode, n)] = rr[0]
            rrows.append([mode, n] + [fmt_ratio(r) if r else "n/a" for r in rr])
        for n, why in (res.get("skipped", {}).items() if mode == "cluster" else []):
            rows.append([mode, n, "skipped: " + why])
    doc.table(["mode", "instances", "drover RSS MB", "drover PSS MB", "drover USS MB",
               "drover processes", "PM2 RSS MB", "PM2 PSS MB", "PM2 USS MB"], rows,
              ["l", "r", "r", "r", "r", "l", "r", "r", "r"])
    doc.p("drover ÷ PM2, paired per run:")
    doc.table(["mode", "instances", "RSS", "PSS", "USS"], rrows)

    # breakdown of drover's own processes
    brk = []
    for mode in ("fork", "cluster"):
        for n, runs in res.get(mode, {}).items():
            dr = runs.get("drover")
            if not dr:
                continue
            brk.append([mode, n, fmt([r["daemon_rss_kb"] / 1024 for r in dr]),
                        fmt([r["daemon_pss_kb"] / 1024 for r in dr]),
                        fmt([r["sup_rss_kb_median"] for r in dr if r["sup_rss_kb_median"]], 0),
                        fmt([r["sup_pss_kb_median"] for r in dr if r["sup_pss_kb_median"]], 0),
                        fmt([r["sup_file_kb"] for r in dr if r.get("sup_file_kb")], 0),
                        fmt([r["sup_anon_kb"] for r in dr if r.get("sup_anon_kb")], 0)])
    if brk:
        doc.p("""Where drover's memory is. A `drover-sup`'s RSS is mostly the pages of its
static executable (file-backed, the same page-cache pages in every supervisor, so PSS divides
them); what each one adds on its own is its anonymous memory (stack, heap, data):""")
        doc.table(["mode", "instances", "droverd RSS MB", "droverd PSS MB",
                   "one drover-sup RSS KiB", "one drover-sup PSS KiB",
                   "of its RSS: executable KiB", "of its RSS: anonymous KiB"], brk)
    if not res.get("cluster") or not any(r.get("drover") for r in res["cluster"].values()):
        doc.p(f"drover cluster mode: {NA} — the cluster rows show PM2 only until "
              "`start -i N` shares a socket (probe result: "
              f"`{ctx.caps.get('cluster-shared')}`).")

    # plot: memory by instance count (fork mode)
    fork = res.get("fork", {})
    xs = [int(n) for n in fork]
    if xs and plots is not None:
        def med(m, key):
            return [median(_col(fork[str(n)].get(m), key)) if fork[str(n)].get(m) else None
                    for n in xs]
        series = [("drover RSS (daemon + sups)", med("drover", "rss_kb")),
                  ("drover PSS", med("drover", "pss_kb")),
                  ("PM2 daemon RSS", med("pm2", "rss_kb")),
                  ("PM2 daemon PSS", med("pm2", "pss_kb"))]
        png = plots.lines("memory.png", "Manager memory by instance count (fork mode)",
                          "instances", "MB", xs, series)
        if png:
            doc.image("memory by instance count", png)

    # goal: drover total RSS <= 1/20 of PM2's daemon, at every measured count
    all_r = {k: v for k, v in ratios.items() if v}
    if all_r:
        worst_key = max(all_r, key=lambda k: median(all_r[k]))
        worst = median(all_r[worst_key])
        ctx.goals.append({
            "goal": "drover total RSS ≤ 1/20 of PM2's daemon (every instance count)",
            "measured": f"worst {worst:.3f} (1/{1 / worst:.0f}) at {worst_key[0]} "
                        f"{worst_key[1]}; " + ", ".join(
                            f"{k[0]} {k[1]}: 1/{1 / median(v):.0f}" for k, v in all_r.items()),
            "met": worst <= 1 / 20})
