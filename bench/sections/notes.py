"""notes.py - "where drover misses, and why": the analysis behind each missed
goal or slow spot, with this run's numbers filled in.

The explanations come from profiling drover with perf, strace and
/proc/<pid>/smaps (commands given in the text, so anyone can repeat them);
each paragraph is printed only while the miss it explains is still measured.
"""
from lib.stats import median

TITLE = "Where drover misses, and why"

# the drover commit the explanations below were checked against; when the
# code they cite changes, re-profile and update them (the numbers in them
# always come from the current run)
ANALYZED_AT = "c97d4c0"


def _med(xs):
    return median(xs) if xs else None


def memory_note(res):
    fork = res.get("memory", {}).get("fork", {})
    if not fork:
        return None
    n = max(fork, key=int)
    dr, pm = fork[n].get("drover"), fork[n].get("pm2")
    if not dr or not pm or int(n) == 0:
        return None
    rss = _med([r["rss_kb"] for r in dr]) / 1024
    pss = _med([r["pss_kb"] for r in dr]) / 1024
    pm_rss = _med([r["rss_kb"] for r in pm]) / 1024
    if rss <= pm_rss / 20:
        return None
    d_rss = _med([r["daemon_rss_kb"] for r in dr]) / 1024
    sup_rss = _med([r["sup_rss_kb_median"] for r in dr])
    sup_file = _med([r.get("sup_file_kb") for r in dr if r.get("sup_file_kb")])
    sup_anon = _med([r.get("sup_anon_kb") for r in dr if r.get("sup_anon_kb")])
    budget = pm_rss / 20 * 1024
    private = int(n) * sup_anon / 1024
    if private * 1024 > budget:
        private_sentence = (f"The RSS goal cannot be met by any design with one process per "
                            f"instance: {n} × {sup_anon:.0f} KiB of private memory alone is "
                            f"{private:.1f} MB, over the {budget / 1024:.1f} MB budget, before "
                            f"any text.")
    else:
        private_sentence = (f"Private memory alone ({n} × {sup_anon:.0f} KiB = {private:.1f} MB) "
                            f"fits the {budget / 1024:.1f} MB budget; the text counted {n} times "
                            f"is what breaks it.")
    return f"""**Memory, {n} instances: {rss:.1f} MB RSS against PM2's {pm_rss:.1f} MB
(goal ≤ {pm_rss / 20:.1f} MB).** `droverd` is {d_rss:.1f} MB of it; the rest is {n}
supervisors of ~{sup_rss:.0f} KiB RSS each. `/proc/<sup>/smaps` shows ~{sup_file:.0f} KiB of
that is the static `drover-sup` executable itself (file-backed text, the same page-cache
pages in every supervisor) and ~{sup_anon:.0f} KiB is the
supervisor's own stack, heap and data. Summing RSS counts the shared text {n} times; PSS
counts it once, which is why the PSS sum is {pss:.1f} MB. {private_sentence}
What would move the numbers: (1) less text per supervisor — it is already built with
`-Os` and section garbage collection; what is left is the code of every feature a supervisor
may need (logger, rotation, readiness, node IPC, tree kill), and RSS counts the whole of it
in every process; (2) less private memory — `/proc/<sup>/smaps` splits the anonymous part
into the main stack (~16 KiB touched), musl's malloc mappings (~20 KiB) and the heap: fewer
and smaller long-lived buffers (pipe reads, line assembly, the tree-walk arrays in
`src/sup/tree.c`) shave it, but not by 10×; (3) state the goal in PSS, which is what the machine actually spends."""


def ls_note(res):
    cli = res.get("cli", {})
    big = (cli.get("big") or {}).get("samples", {})
    small = cli.get("small", {}).get("samples", {})
    if not big.get("pm2 ls") or not big.get("drover ls"):
        return None
    ls_b, pm_b = _med(big["drover ls"]), _med(big["pm2 ls"])
    ls_s, pm_s = _med(small.get("drover ls", [])), _med(small.get("pm2 ls", []))
    if ls_b <= pm_b / 50 and (not ls_s or not pm_s or ls_s <= pm_s / 50):
        return None
    ver, ping = _med(big.get("drover version", [])), _med(big.get("drover ping", []))
    napps = cli["big"]["apps"]
    parts = f"`drover version` {ver * 1000:.1f} ms, `drover ping` {ping * 1000:.1f} ms" \
        if ver and ping else ""
    return f"""**`drover ls`: {ls_s * 1000:.1f} ms with {cli['small']['apps']} apps,
{ls_b * 1000:.1f} ms with {napps:,} (PM2: {pm_s * 1000:.0f} / {pm_b * 1000:.0f} ms), over the
1/50 goal in this run.** With few apps the time is mostly the CLI's own start ({parts}): an
exec, the dynamic loader relocating jansson, libyaml and libm (ncurses is only in
drover-monit), one round trip. With many apps, look at section 9.3: an `ls` that follows a
restart waits for a full sample (three /proc reads per instance, ~10 µs each on this
machine), every other `ls` is served from the last sample; the CLI parses the compact
rows reply (one tab-separated line per instance, proto/ls_rows.h), not a JSON object per
instance. `perf record -g drover ls` and `perf record -g -p <droverd pid>` show which side
grew."""


def logging_note(res):
    lg = res.get("logging", {}).get("batches", {})
    out, cpu, lost = [], [], {"drover": 0, "pm2": 0}
    for batch, runs in lg.items():
        for k in lost:
            lost[k] += sum(max(0, r["lost"]) for r in runs.get(k, []))
        d, p, x = runs.get("drover"), runs.get("pm2"), runs.get("direct")
        if not d or not p or not x:
            continue
        dr = _med([r["wall_s"] for r in d])
        pr = _med([r["wall_s"] for r in p])
        xr = _med([r["wall_s"] for r in x])
        dc = _med([r["cpu_s"] / (r["bytes"] / 1e9) for r in d if r["bytes"]])
        pc = _med([r["cpu_s"] / (r["bytes"] / 1e9) for r in p if r["bytes"]])
        if pr / dr >= 10:
            continue
        out.append(f"{batch} line(s)/write: PM2 takes {pr / xr:.1f}× the direct time, drover "
                   f"{dr / xr:.2f}×")
        if dc and pc:
            cpu.append(f"{batch} line(s)/write: drover {dc:.2f} s, PM2 {pc:.2f} s "
                       f"({pc / dc:.0f}×)")
    if not out:
        return None
    return f"""**Logging ≥ 10 × PM2.** {'; '.join(out)}. Throughput through a manager is
bounded by how fast the app itself writes: drover runs at (or, thanks to the pipe
decoupling the app from the disk, slightly above) the direct-to-file rate, so it can only be
10 × PM2 where PM2 is 10 × slower than the app, which it is not on this machine. What the
manager itself spends is the CPU per GB: {'; '.join(cpu)}. Lines lost, counted in the
files over all runs: drover {lost['drover']:,}, PM2 {lost['pm2']:,}."""


def recovery_note(res):
    fk = res.get("recovery", {}).get("fork", {})
    d, p = fk.get("drover"), fk.get("pm2")
    if not d or not p:
        return None
    dm = _med([r.get("kill_to_exec_ms") for r in d if r.get("kill_to_exec_ms") is not None])
    pmm = _med([r.get("kill_to_exec_ms") for r in p if r.get("kill_to_exec_ms") is not None])
    if dm is None or pmm is None or dm <= pmm:
        return None
    return f"""**Recovery: drover needs {dm:.1f} ms from `kill -9` to the new `execve()`, PM2
{pmm:.1f} ms.** The supervisor's path is `wait4()`, the restart decision, `clone3()` into the
instance's cgroup, `execve()`. `strace -f -T -p <drover-sup>` during a kill shows where time
goes: a `write(…, "0")` to `cgroup.procs` in the child means `clone3(CLONE_INTO_CGROUP)` was
refused and the child migrated itself, which takes the global `cgroup_threadgroup_rwsem` and
costs 5–12 ms on this kind of host; `getdents64` on `/proc` means the instance has no cgroup
and the supervisor walked the whole process table to find the tree."""


def cluster_note(res):
    runs = res.get("cluster", {}).get("runs", {})
    misses, slots_cpu = [], False
    for app, by_mode in runs.items():
        for mode, by_v in by_mode.items():
            lim = [r["rps"] for r in by_v.get("nomgr", [])]
            for v in ("drover-shared", "drover-slots"):
                rs = [r["rps"] for r in by_v.get(v, [])]
                ratios = [a / b for a, b in zip(rs, lim) if b]
                if not ratios or _med(ratios) >= 0.97:
                    continue
                misses.append(f"{v} {app} {mode}: {_med(ratios):.3f} "
                              f"[{min(ratios):.3f}–{max(ratios):.3f}]")
                slots_cpu = slots_cpu or (v == "drover-slots" and app == "cpu")
    if not misses:
        return None
    text = f"""**Cluster throughput under 0.97 × the limit:** {'; '.join(misses)}. drover is
not in the data path (its front CPU is 0: the workers accept from the kernel themselves),
so a gap to the limit comes from how connections reach the workers or from the machine. """
    if slots_cpu:
        text += """In `slots` mode every worker has its own SO_REUSEPORT socket and the kernel
hashes each new connection onto one of them by its addresses, whatever that worker is
doing: with CPU-bound requests a connection can queue behind a busy worker while the other
idles. A shared socket is one queue that whichever worker is free takes from — the better
default for uneven or CPU-heavy requests; slots spreads long-lived connections evenly and
survives reloads without a shared queue. """
    text += """A [min–max] that reaches past 0.97 means some runs met the limit: part of the
gap is the machine's noise (other work on the same 2 CPUs during the run)."""
    return text


def reload_note(res):
    runs = res.get("reload", {}).get("runs", {})
    d_ab = runs.get("drover-shared abrupt") or runs.get("drover-slots abrupt")
    d_gr = (runs.get("drover-shared graceful") or []) + (runs.get("drover-slots graceful") or [])
    out = []
    if d_gr and _med([r["errors"] for r in d_gr]) > 0:
        out.append(f"""**Reload, graceful app: drover lost {_med([r['errors'] for r in d_gr]):g}
requests per 10 reloads.** With a shared socket owned by the daemon no queued connection can
be reset, and a graceful app finishes what it accepted, so any loss here points at drover:
look at the error kinds (connect = the socket was closed or its backlog overflowed; read =
a connection was reset after it was accepted).""")
    if d_ab and _med([r["errors"] for r in d_ab]) > 0:
        out.append(f"""**Reload, abrupt app: drover lost {_med([r['errors'] for r in d_ab]):g}
requests per 10 reloads** (all `read` errors: connections reset by the exiting worker). These
are requests the old worker had already accepted when it got SIGINT and exited at once; no
manager can save them (the accept queue survives because drover holds the socket, the
worker's own connections do not). The fix is in the app — close the server on the stop
signal, as the graceful variant does — or in its config: `--kill-signal` the app handles,
`--shutdown-with-message` for node apps that listen for it. drover could also do what
PM2's cluster primary does implicitly (it stops handing connections to a worker it is
replacing): have the preload shim take the old worker off the shared socket (drop its copy
from the app's epoll) before the stop signal is sent, so a worker that dies at once has only
its in-flight requests to lose, not the connections it accepted ahead of its work.""")
    return "\n\n".join(out) or None


def render(ctx, doc, results):
    notes = [n for n in (memory_note(results), ls_note(results), cluster_note(results),
                         reload_note(results), logging_note(results), recovery_note(results))
             if n]
    if not notes:
        return
    doc.h(2, TITLE)
    doc.p(f"""Each paragraph appears only while the miss it explains is measured; the numbers
come from this run, the explanations from profiling drover at git `{ANALYZED_AT}` (the
commands are given, so they can be repeated on any later build).""")
    for n in notes:
        doc.p(n)
