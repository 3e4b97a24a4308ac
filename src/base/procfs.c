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

/* Parses the text of /proc/<pid>/stat. The command name (field 2) may hold
 * spaces and parentheses, so parsing restarts after its last ')'. Fields
 * from 3 on are space-separated: state(3) ppid(4) pgrp(5) ... utime(14)
 * stime(15) ... starttime(22) vsize(23) rss(24). */
static int parse_stat(const char *text, pid_t pid, struct proc_stat *out)
{
    const char *rp = strrchr(text, ')');
    if (!rp || rp[1] != ' ' || !rp[2])
        return -EINVAL;
    const char *p = rp + 2;
    out->pid = pid;
    out->state = *p;
    unsigned long long f[25] = {0};
    int field = 3;
    while (*p && field < 24) {
        while (*p && *p != ' ')
            p++;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        field++;
        int neg = *p == '-';
        if (neg)
            p++;
        unsigned long long v = 0;
        while (*p >= '0' && *p <= '9')
            v = v * 10 + (unsigned long long)(*p++ - '0');
        f[field] = neg ? (unsigned long long)-(long long)v : v;
    }
    if (field < 24)
        return -EINVAL;
    out->ppid = (pid_t)f[4];
    out->pgid = (pid_t)f[5];
    out->cpu_ticks = f[14] + f[15];
    out->start_time = f[22];
    out->threads = (uint32_t)f[20];
    out->rss_bytes = f[24] * (uint64_t)page_size();
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

static int by_ppid(const void *a, const void *b)
{
    const struct proc_stat *x = a, *y = b;
    if (x->ppid != y->ppid)
        return x->ppid < y->ppid ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
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
    qsort(t->procs, t->n, sizeof(t->procs[0]), by_ppid);
    return 0;
}

static int table_add(struct proc_table *t, size_t *cap, const struct proc_stat *st)
{
    if (t->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        struct proc_stat *np = realloc(t->procs, ncap * sizeof(*np));
        if (!np)
            return -ENOMEM;
        t->procs = np;
        *cap = ncap;
    }
    t->procs[t->n++] = *st;
    return 0;
}

#define CHILDREN_MAX_BYTES 65536 /* about 9,000 children of one thread */

/* Reads the children of one task of pid and adds each (its stat) to t. */
static int add_children_of_task(struct proc_table *t, size_t *cap, pid_t pid, pid_t tid)
{
    char path[96];
    static char buf[CHILDREN_MAX_BYTES + 1];
    snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)pid, (long)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* gone */
    size_t len = 0;
    ssize_t n;
    while (len < CHILDREN_MAX_BYTES && (n = read(fd, buf + len, CHILDREN_MAX_BYTES - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    for (char *p = buf, *end; *p; p = end) {
        long child = strtol(p, &end, 10);
        if (end == p)
            break;
        struct proc_stat st;
        if (child > 0 && proc_read_stat((pid_t)child, &st) == 0 && table_add(t, cap, &st) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Adds the children of every task of pid (threads: its thread count). */
static int add_children(struct proc_table *t, size_t *cap, pid_t pid, uint32_t threads)
{
    if (threads <= 1)
        return add_children_of_task(t, cap, pid, pid);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *de;
    int r = 0;
    while (r == 0 && (de = readdir(d)))
        if (isdigit((unsigned char)de->d_name[0]))
            r = add_children_of_task(t, cap, pid, (pid_t)atol(de->d_name));
    closedir(d);
    return r;
}

int proc_table_load_trees(struct proc_table *t, const pid_t *roots, size_t n)
{
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/task/%ld/children", (long)getpid());
    if (access(self, R_OK) < 0)
        return proc_table_load(t);
    t->procs = NULL;
    t->n = 0;
    size_t cap = 0;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++)
        if (roots[i] > 0)
            r = add_children(t, &cap, roots[i], 1);
    /* t grows behind the cursor: each process added is expanded in turn */
    for (size_t k = 0; k < t->n && r == 0; k++)
        r = add_children(t, &cap, t->procs[k].pid, t->procs[k].threads);
    if (r < 0) {
        proc_table_free(t);
        return r;
    }
    if (t->n) /* no process in the trees: procs is NULL */
        qsort(t->procs, t->n, sizeof(t->procs[0]), by_ppid);
    return 0;
}

void proc_table_free(struct proc_table *t)
{
    free(t->procs);
    t->procs = NULL;
    t->n = 0;
}

/* First index whose ppid is >= ppid (procs sorted by ppid). */
static size_t first_child(const struct proc_table *t, pid_t ppid)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->procs[mid].ppid < ppid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t proc_table_walk(const struct proc_table *t, pid_t root,
                       void (*visit)(const struct proc_stat *p, void *data), void *data)
{
    size_t found = 0, qcap = 64, qhead = 0, qtail = 0;
    pid_t *queue = malloc(qcap * sizeof(pid_t));
    if (!queue)
        return 0;
    queue[qtail++] = root;
    while (qhead < qtail) {
        pid_t parent = queue[qhead++];
        for (size_t i = first_child(t, parent); i < t->n && t->procs[i].ppid == parent; i++) {
            const struct proc_stat *p = &t->procs[i];
            if (p->pid == root || p->pid == parent)
                continue;
            found++;
            visit(p, data);
            if (qtail == qcap) {
                pid_t *nq = realloc(queue, qcap * 2 * sizeof(pid_t));
                if (!nq)
                    goto done;
                queue = nq;
                qcap *= 2;
            }
            queue[qtail++] = p->pid;
        }
    }
done:
    free(queue);
    return found;
}

struct collect_ctx {
    pid_t *out;
    size_t max, stored;
};

static void collect_pid(const struct proc_stat *p, void *data)
{
    struct collect_ctx *c = data;
    if (c->stored < c->max)
        c->out[c->stored++] = p->pid;
}

size_t proc_table_descendants(const struct proc_table *t, pid_t root, pid_t *out, size_t max)
{
    struct collect_ctx c = {out, max, 0};
    return proc_table_walk(t, root, collect_pid, &c);
}

struct usage_ctx {
    uint64_t rss, ticks;
};

static void add_usage(const struct proc_stat *p, void *data)
{
    struct usage_ctx *u = data;
    u->rss += p->rss_bytes;
    u->ticks += p->cpu_ticks;
}

void proc_table_tree_usage(const struct proc_table *t, pid_t root, uint64_t *rss_bytes,
                           uint64_t *cpu_ticks)
{
    struct usage_ctx u = {0, 0};
    proc_table_walk(t, root, add_usage, &u);
    *rss_bytes = u.rss;
    *cpu_ticks = u.ticks;
}
