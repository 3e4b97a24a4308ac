/* stats.h - the one sampler behind every view of the instances' figures
 * (ls, jlist, describe, monit, the dashboard, /metrics): CPU and memory of
 * each instance's whole process tree from /proc, and its connections.
 *
 * A view asks for figures with stats_sample and is never kept waiting by
 * a sample that merely aged:
 * - younger than STATS_MAX_AGE_MS: served as it is;
 * - younger than the idle period plus STATS_STALE_SLACK_MS: served as it
 *   is, and a new sample starts once the replies of that loop turn went out
 *   (stats_before_sleep), so the next view has figures at most as old as
 *   the gap between the two;
 * - older, or none yet, or a run it did not measure (a new pid, or no
 *   memory yet: figures never belong to another process): measured first.
 * A sample runs in slices of STATS_SLICE_MS (the loop serves its clients
 * in between), and the next one follows after the idle period: its cost
 * times STATS_IDLE_SHARE (so sampling takes at most 1/500 of a core),
 * between STATS_IDLE_MIN_MS and STATS_IDLE_MAX_MS; about 15 s with 1,000
 * apps on a slow machine. Nothing is armed while no instance runs. Any
 * number of viewers (a monit, a dashboard, a scraper, `watch drover ls`)
 * cost at most one sample a second between them. CPU % is measured over
 * the interval since the sample before (or over the run's lifetime for
 * the first one).
 *
 * Connections (proto/conn_stats.h, docs/architecture.md "Connection
 * stats"): accepted is the shim's counter, read from the supervisor's
 * page at every view, sampled or not (no system call); open comes from the kernel
 * (sock_diag), for instances of apps the daemon holds sockets for: the
 * connections the tree's processes hold on those ports. Apps on LISTEN_FDS
 * without the shim get open only. */
#pragma once

#include "base/procfs.h"
#include "daemon/daemon.h"

#define STATS_MAX_AGE_MS 1000
#define STATS_IDLE_SHARE 500      /* background sampling: at most 1/500 of a core */
#define STATS_IDLE_MIN_MS 5000    /* and no more often than this */
#define STATS_IDLE_MAX_MS 60000   /* nor less */
#define STATS_STALE_SLACK_MS 5000 /* a sample this much older than the period is stale */

/* Makes cpu_percent, memory_bytes, cpu_ticks and the connection figures
 * of every instance fit to serve, as described above: measured now, or
 * served as they are and measured after this loop turn. */
void stats_sample(struct daemon *d);

/* Called once per loop turn after the replies were sent (daemon/main.c):
 * arms the sample a stale view asked for. */
void stats_before_sleep(struct daemon *d);
