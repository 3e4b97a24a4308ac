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
ANALYZED_AT = "669c035"


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
    return f"""**Memory, {n} instances: {rss:.1f} MB RSS against PM2's {pm_rss:.1f} MB
(goal ≤ {pm_rss / 20:.1f} MB).** `droverd` is {d_rss:.1f} MB of it; the rest is {n}
supervisors of ~{sup_rss:.0f} KiB RSS each. `/proc/<sup>/smaps` shows ~{sup_file:.0f} KiB of
that is the static `drover-sup` executable itself (file-backed text, the same page-cache
pages in every supervisor) and ~{sup_anon:.0f} KiB is the
supervisor's own stack, heap and data. Summing RSS counts the shared text {n} times; PSS
counts it once, which is why the PSS sum is {pss:.1f} MB. The RSS goal cannot be met by any
design with one process per instance: {n} × {sup_anon:.0f} KiB of private memory alone is
{int(n) * sup_anon / 1024:.1f} MB, over the {budget / 1024:.1f} MB budget, before any text.
What would move the numbers: (1) less text per supervisor — build `drover-sup` with `-Os`,
`-ffunction-sections -fdata-sections -Wl,--gc-sections` and keep the JSON/YAML-free code
path small (see `size build/drover-sup`); (2) less private memory — the supervisor's tree walk
(`src/sup/tree.c` `collect()`) mallocs 2 × 2,048-entry arrays and reads every
`/proc/<pid>/stat` on each stop/exit; walking `/proc/<sup>/task/*/children` (or only
`cgroup.procs` when the instance has a cgroup) touches a few hundred bytes instead; (3) state
the goal in PSS, which is what the machine actually spends."""


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
    parts = f"process start {ver * 1000:.1f} ms, start + round trip {ping * 1000:.1f} ms" \
        if ver and ping else ""
    return f"""**`drover ls`: {ls_s * 1000:.1f} ms with {cli['small']['apps']} apps,
{ls_b * 1000:.1f} ms with {napps:,} (PM2: {pm_s * 1000:.0f} / {pm_b * 1000:.0f} ms).** The
fixed part is small ({parts}); the rest grows with the number of apps *and* with the number
of processes on the machine. `perf record -g -p $(cat $DROVER_HOME/daemon.lock)` during
repeated `ls` calls shows the daemon spending its time in `stats_sample()`
(`src/daemon/stats.c`): every `ls` reloads the whole process table (`proc_table_load()`
opens and parses `/proc/<pid>/stat` for *every* process on the machine — here also PM2's
{napps:,} apps running beside drover's), then for each instance walks it with
`proc_table_descendants()` and a linear `table_find()`, O(instances × processes);
`registry_count_app_insts()` adds another O(n²). On the CLI side (`perf record` of
`drover ls`), most time is jansson parsing the ~900-byte-per-process reply (0.9 MB for
1,000 apps) that the table then shows 9 columns of. Fixes: sample CPU/memory from each
instance's cgroup (`memory.current`, `cpu.stat`: one small read per instance, no /proc scan)
and fall back to `/proc/<sup>/task/*/children` walks; index the process table by pid
(sort + bsearch, or a children adjacency list built once) when /proc must be read; cache a
sample for ~1 s (PM2's own pidusage does); let `ls` ask only for the fields it prints."""


def logging_note(res):
    lg = res.get("logging", {}).get("batches", {})
    out = []
    for batch, runs in lg.items():
        d, p, x = runs.get("drover"), runs.get("pm2"), runs.get("direct")
        if not d or not p or not x:
            continue
        dr = _med([r["wall_s"] for r in d])
        pr = _med([r["wall_s"] for r in p])
        xr = _med([r["wall_s"] for r in x])
        if pr / dr >= 10:
            continue
        out.append(f"{batch} line(s)/write: PM2 takes {pr / xr:.1f}× the direct time, drover "
                   f"{dr / xr:.2f}×")
    if not out:
        return None
    return f"""**Logging ≥ 10 × PM2.** {'; '.join(out)}. drover's throughput is bounded by how
fast the app itself can write: with one write per line the app's own system calls are the
limit and drover runs at the direct-to-file rate, so no manager can be 10 × PM2 unless PM2
is 10 × slower than the app — which it is not on this machine. The goal can only be read as
"drover's cost per GB": see the manager CPU s per GB column, where drover's supervisor does
the same work with a fraction of PM2's CPU. Lines lost are counted from the files."""


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
{pmm:.1f} ms.** `strace -f -T -p <drover-sup>` during a kill shows two costs in the
supervisor: (1) after `wait4()` it reads the whole `/proc` (every `/proc/<pid>/stat`, 1–5 ms
depending on how many processes the machine runs) to look for leftovers of the tree, even
when the instance's cgroup is already empty; (2) the new child moves itself into its cgroup
by writing `0` to `cgroup.procs` before `execve()`, and that write alone took 5–12 ms here
(`write(12, "0", 1) = 1 <0.012021>`): migrating a task between cgroups takes the global
`cgroup_threadgroup_rwsem` for writing, which waits for an RCU grace period. Fixes: spawn
with `clone3(CLONE_INTO_CGROUP)` (Linux ≥ 5.7), which places the child in its cgroup at fork
without a migration; skip the `/proc` walk when `cgroup.procs` is authoritative and empty.
The machine also mounts cgroup v1 controllers beside v2 (hybrid), which makes migrations
slower than on a pure v2 host."""


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
`--shutdown-with-message` for node apps that listen for it.""")
    return "\n\n".join(out) or None


def render(ctx, doc, results):
    notes = [n for n in (memory_note(results), ls_note(results), logging_note(results),
                         recovery_note(results), reload_note(results)) if n]
    if not notes:
        return
    doc.h(2, TITLE)
    doc.p(f"""Each paragraph appears only while the miss it explains is measured; the numbers
come from this run, the explanations from profiling drover at git `{ANALYZED_AT}` (the
commands are given, so they can be repeated on any later build).""")
    for n in notes:
        doc.p(n)
