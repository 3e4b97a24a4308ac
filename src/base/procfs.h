/* procfs.h - reading processes from /proc: identity (start time), parent,
 * CPU time and memory, and whole process trees.
 *
 * A process is identified by (pid, start time): the start time (clock ticks
 * since boot, field 22 of /proc/<pid>/stat) tells a recycled pid apart. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
    pid_t pid;
    pid_t ppid;
    pid_t pgid;
    char state;          /* R, S, D, Z, T, ... */
    uint64_t cpu_ticks;  /* utime + stime, in clock ticks */
    uint64_t start_time; /* clock ticks since boot */
    uint64_t rss_bytes;
    uint32_t threads; /* num_threads */
};

/* Reads /proc/<pid>/stat. Returns -ENOENT when the process is gone. */
int proc_read_stat(pid_t pid, struct proc_stat *out);

/* Returns clock ticks per second (sysconf(_SC_CLK_TCK), cached). */
long proc_clock_ticks(void);

/* A snapshot of every process on the machine, for walking trees. procs is
 * sorted by parent pid, so the children of a process are one contiguous
 * run found by binary search: walking a tree costs its size, not the
 * table's. */
struct proc_table {
    struct proc_stat *procs;
    size_t n;
};

/* Loads a snapshot of /proc. Returns 0 or a negative errno; processes that
 * vanish while reading are skipped. Free with proc_table_free. */
int proc_table_load(struct proc_table *t);

/* Loads only the descendants of roots[0..n) (not the roots themselves),
 * found by following /proc/<pid>/task/<tid>/children from each root: the
 * cost follows the size of the trees, not the machine's process count.
 * Each root must be single-threaded (only its own task is read). A child
 * forked between two reads may be missed until the next load. Falls back
 * to proc_table_load where the kernel has no children files. Returns 0 or
 * a negative errno. Free with proc_table_free. */
int proc_table_load_trees(struct proc_table *t, const pid_t *roots, size_t n);
void proc_table_free(struct proc_table *t);

/* Calls visit for every descendant of root (breadth first, root itself
 * excluded). Returns how many were visited. */
size_t proc_table_walk(const struct proc_table *t, pid_t root,
                       void (*visit)(const struct proc_stat *p, void *data), void *data);

/* Fills out[] with the pids of every descendant of root (not root itself),
 * up to max entries; returns how many were found (may exceed max, in which
 * case only max were stored). */
size_t proc_table_descendants(const struct proc_table *t, pid_t root, pid_t *out, size_t max);

/* Sums rss and cpu ticks over all descendants of root (root itself not
 * included). */
void proc_table_tree_usage(const struct proc_table *t, pid_t root, uint64_t *rss_bytes,
                           uint64_t *cpu_ticks);
