/* stats.h - the one sampler behind every view of the instances' figures
 * (ls, jlist, describe, monit, the dashboard, /metrics): CPU and memory of
 * each instance's whole process tree from /proc, and its connections.
 *
 * Nothing runs in the background: a view asks for figures with
 * stats_sample, which measures again only when the last sample is older
 * than STATS_MAX_AGE_MS, so any number of viewers (a monit, a dashboard,
 * a scraper, `watch drover ls`) cost one /proc walk a second between them,
 * and nothing when nobody looks. A run the last sample did not measure (a
 * new pid, or no memory yet) makes it measure again at once. CPU % is measured over the interval
 * since the sample before (or over the run's lifetime for the first one).
 *
 * Connections (proto/conn_stats.h, docs/architecture.md "Connection
 * stats"): accepted is the shim's counter, read from the supervisor's
 * page at each sample (no system call); open comes from the kernel
 * (sock_diag), for instances of apps the daemon holds sockets for: the
 * connections the tree's processes hold on those ports. Apps on LISTEN_FDS
 * without the shim get open only. */
#pragma once

#include "base/procfs.h"
#include "daemon/daemon.h"

#define STATS_MAX_AGE_MS 1000

/* Brings cpu_percent, memory_bytes, cpu_ticks and the connection figures
 * of every instance up to date, unless the last sample is younger than
 * STATS_MAX_AGE_MS. */
void stats_sample(struct daemon *d);
