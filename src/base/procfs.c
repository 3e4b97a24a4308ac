/* procfs.c - reading processes from /proc. */
#include "base/procfs.h"
#include "base/macros.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

long proc_clock_ticks(void)
{
    static long ticks;
    if (!ticks) {
        ticks = sysconf(_SC_CLK_TCK);
        if (ticks <= 0)
            ticks = 100;
    }
    return ticks;
}

static long page_size(void)
{
    static long ps;
    if (!ps) {
        ps = sysconf(_SC_PAGESIZE);
        if (ps <= 0)
            ps = 4096;
    }
    return ps;
}

uint64_t proc_boot_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Parses the text of /proc/<pid>/stat. The command name (field 2) may hold
 * spaces and parentheses, so parsing restarts after its last ')'. */
static int parse_stat(const char *text, pid_t pid, struct proc_stat *out)
{
    const char *rp = strrchr(text, ')');
    if (!rp || rp[1] != ' ')
        return -EINVAL;
    const char *p = rp + 2;
    /* fields from 3: state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime(14) stime(15) cutime cstime priority nice
     * num_threads itrealvalue starttime(22) vsize rss(24) */
    char state;
    long ppid, pgid;
    unsigned long long utime, stime, start, rss;
    int n = sscanf(p,
                   "%c %ld %ld %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
                   "%*d %llu %*u %llu",
                   &state, &ppid, &pgid, &utime, &stime, &start, &rss);
    if (n != 7)
        return -EINVAL;
    out->pid = pid;
    out->ppid = (pid_t)ppid;
    out->pgid = (pid_t)pgid;
    out->state = state;
    out->cpu_ticks = utime + stime;
    out->start_time = start;
    out->rss_bytes = rss * (uint64_t)page_size();
    return 0;
}

static int read_stat_at(int dirfd, const char *rel, pid_t pid, struct proc_stat *out)
{
    char buf[1024];
    int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ESRCH ? -ENOENT : neg_errno();
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    int saved = errno;
    close(fd);
    if (n <= 0)
        return n == 0 || saved == ESRCH ? -ENOENT : -saved;
    buf[n] = '\0';
    return parse_stat(buf, pid, out);
}

int proc_read_stat(pid_t pid, struct proc_stat *out)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    return read_stat_at(AT_FDCWD, path, pid, out);
}

int proc_table_load(struct proc_table *t)
{
    t->procs = NULL;
    t->n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return neg_errno();
    size_t cap = 0;
    struct dirent *de;
    int dfd = dirfd(d);
    while ((de = readdir(d))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        char rel[300];
        pid_t pid = (pid_t)atol(de->d_name);
        snprintf(rel, sizeof(rel), "%s/stat", de->d_name);
        struct proc_stat st;
        if (read_stat_at(dfd, rel, pid, &st) < 0)
            continue;
        if (t->n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct proc_stat *np = realloc(t->procs, ncap * sizeof(*np));
            if (!np) {
                closedir(d);
                proc_table_free(t);
                return -ENOMEM;
            }
            t->procs = np;
            cap = ncap;
        }
        t->procs[t->n++] = st;
    }
    closedir(d);
    return 0;
}

void proc_table_free(struct proc_table *t)
{
    free(t->procs);
    t->procs = NULL;
    t->n = 0;
}

/* Breadth-first walk: a queue of parents whose children are still to find.
 * O(n * depth) over the snapshot, which stays small for real trees. */
size_t proc_table_descendants(const struct proc_table *t, pid_t root, pid_t *out, size_t max)
{
    size_t found = 0, stored = 0;
    size_t qcap = 64, qhead = 0, qtail = 0;
    pid_t *queue = malloc(qcap * sizeof(pid_t));
    if (!queue)
        return 0;
    queue[qtail++] = root;
    while (qhead < qtail) {
        pid_t parent = queue[qhead++];
        for (size_t i = 0; i < t->n; i++) {
            if (t->procs[i].ppid != parent || t->procs[i].pid == root)
                continue;
            found++;
            if (stored < max)
                out[stored++] = t->procs[i].pid;
            if (qtail == qcap) {
                pid_t *nq = realloc(queue, qcap * 2 * sizeof(pid_t));
                if (!nq)
                    goto done;
                queue = nq;
                qcap *= 2;
            }
            queue[qtail++] = t->procs[i].pid;
        }
    }
done:
    free(queue);
    return found;
}

static const struct proc_stat *table_find(const struct proc_table *t, pid_t pid)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->procs[i].pid == pid)
            return &t->procs[i];
    return NULL;
}

int proc_table_tree_usage(const struct proc_table *t, pid_t root, uint64_t *rss_bytes,
                          uint64_t *cpu_ticks)
{
    const struct proc_stat *r = table_find(t, root);
    if (!r)
        return -ENOENT;
    uint64_t rss = r->rss_bytes, cpu = r->cpu_ticks;
    pid_t kids[1024];
    size_t n = proc_table_descendants(t, root, kids, ARRAY_SIZE(kids));
    n = MIN(n, ARRAY_SIZE(kids));
    for (size_t i = 0; i < n; i++) {
        const struct proc_stat *k = table_find(t, kids[i]);
        if (k) {
            rss += k->rss_bytes;
            cpu += k->cpu_ticks;
        }
    }
    *rss_bytes = rss;
    *cpu_ticks = cpu;
    return 0;
}
