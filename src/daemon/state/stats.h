/* stats.h - CPU and memory of each instance's whole process tree, sampled
 * from /proc on demand (ls, describe, jlist): one /proc scan per request,
 * nothing in the background. CPU % is measured since the previous sample
 * (or over the run's lifetime for the first one). */
#pragma once

#include "base/procfs.h"
#include "daemon/daemon.h"

/* Updates cpu_percent, memory_bytes and cpu_ticks of every running
 * instance. */
void stats_sample(struct daemon *d);
