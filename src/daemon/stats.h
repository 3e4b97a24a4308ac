/* stats.h - CPU and memory of each instance's whole process tree, sampled
 * from /proc on demand (ls, describe, jlist): one /proc scan per request,
 * nothing in the background. CPU % is measured since the previous sample
 * (or over the run's lifetime for the first one). */
#pragma once

#include "base/procfs.h"
#include "daemon/daemon.h"

/* Sums RSS and CPU ticks over an instance's tree in the snapshot t: every
 * descendant of its supervisor sup (the supervisor itself excluded). */
void stats_tree_usage(const struct proc_table *t, pid_t sup, uint64_t *rss, uint64_t *ticks);

/* Updates cpu_percent and memory_bytes of every running instance. */
void stats_sample(struct daemon *d);
