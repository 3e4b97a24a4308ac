/* cpus.h - how many CPUs this process may really use: the CPUs in its
 * affinity mask, further limited by a cgroup v2 CPU quota (cpu.max) of its
 * own cgroup or any ancestor, or a cgroup v1 one (cpu.cfs_quota_us /
 * cpu.cfs_period_us: Docker's --cpus on a v1 or hybrid host), rounded up. `-i max` uses this, so a
 * container limited to 2 CPUs on a 64-core host runs 2 instances. */
#pragma once

/* Returns the usable CPU count (at least 1). */
int cpus_usable(void);

/* Parses the content of a cpu.max file ("max 100000" or "200000 100000")
 * into a CPU count rounded up; returns 0 for "max" or bad input. */
int cpus_from_cpu_max(const char *text);
