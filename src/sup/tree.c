/* tree.c - enumerate, signal and kill an instance's process tree. */
#include "sup/tree.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/pidfd.h"
#include "base/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TREE_MAX 2048

int tree_init(struct proc_tree *t, const char *cgroup_path)
{
    memset(t, 0, sizeof(*t));
    t->root = getpid();
    t->cgroup_dirfd = -1;
    if (!cgroup_path || strlen(cgroup_path) >= sizeof(t->cgroup_path))
        return 0;
    if (mkdir_p(cgroup_path, 0755) < 0)
        return 0;
    int dfd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return 0;
    /* usable only if we may move processes into it */
    int pfd = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if (pfd < 0) {
        close(dfd);
        rmdir(cgroup_path);
        return 0;
    }
    close(pfd);
    t->cgroup_dirfd = dfd;
    snprintf(t->cgroup_path, sizeof(t->cgroup_path), "%s", cgroup_path);
    return 0;
}

void tree_prepare_run(struct proc_tree *t)
{
    if (t->cgroup_dirfd < 0 || !t->cgroup_killed)
        return;
    char path[sizeof(t->cgroup_path)];
    snprintf(path, sizeof(path), "%s", t->cgroup_path);
    tree_destroy(t);
    pid_t root = t->root;
    tree_init(t, path);
    t->root = root;
}

void tree_destroy(struct proc_tree *t)
{
    if (t->cgroup_dirfd >= 0) {
        close(t->cgroup_dirfd);
        rmdir(t->cgroup_path);
    }
    t->cgroup_dirfd = -1;
}

void tree_set_helper(struct proc_tree *t, pid_t pid)
{
    t->n_exclude = 0;
    if (pid > 0)
        t->exclude[t->n_exclude++] = pid;
}

static int is_excluded(const struct proc_tree *t, pid_t pid)
{
    for (size_t i = 0; i < t->n_exclude; i++)
        if (t->exclude[i] == pid)
            return 1;
    return 0;
}

struct member {
    pid_t pid;
    uint64_t start_time;
};

/* Reads the pids in the instance cgroup. */
static size_t cgroup_members(const struct proc_tree *t, pid_t *out, size_t max)
{
    char *text = NULL;
    if (read_file_at(t->cgroup_dirfd, "cgroup.procs", 1 << 20, &text, NULL) < 0)
        return 0;
    size_t n = 0;
    for (char *p = text; *p && n < max;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        out[n++] = (pid_t)v;
        p = end;
        while (*p == '\n')
            p++;
    }
    free(text);
    return n;
}

static void add_member(struct member *out, size_t *n, pid_t pid, uint64_t start_time)
{
    for (size_t j = 0; j < *n; j++)
        if (out[j].pid == pid)
            return;
    if (*n < TREE_MAX)
        out[(*n)++] = (struct member){pid, start_time};
}

struct walk_ctx {
    const struct proc_tree *t;
    struct member *out;
    size_t *n;
};

static void add_descendant(const struct proc_stat *p, void *data)
{
    struct walk_ctx *w = data;
    if (p->state != 'Z' && !is_excluded(w->t, p->pid) && !is_excluded(w->t, p->ppid))
        add_member(w->out, w->n, p->pid, p->start_time);
}

/* Collects the live members of the tree (zombies and helpers skipped) into
 * a malloc'd array of TREE_MAX entries. Returns the count. */
static size_t collect(const struct proc_tree *t, struct member **outp)
{
    size_t n = 0;
    struct member *out = malloc(TREE_MAX * sizeof(*out));
    pid_t *pids = malloc(TREE_MAX * sizeof(pid_t));
    *outp = out;
    if (!out || !pids) {
        free(pids);
        return 0;
    }
    if (t->cgroup_dirfd >= 0) {
        size_t m = cgroup_members(t, pids, TREE_MAX);
        for (size_t i = 0; i < m; i++) {
            struct proc_stat st;
            if (proc_read_stat(pids[i], &st) == 0 && st.state != 'Z')
                add_member(out, &n, pids[i], st.start_time);
        }
    }
    /* without a cgroup (or to catch a process that left it): every
     * descendant of the supervisor, minus helpers and their children */
    if (t->cgroup_dirfd < 0) {
        struct proc_table tab;
        if (proc_table_load(&tab) == 0) {
            struct walk_ctx w = {t, out, &n};
            proc_table_walk(&tab, t->root, add_descendant, &w);
            proc_table_free(&tab);
        }
    }
    free(pids);
    return n;
}

size_t tree_pids(const struct proc_tree *t, pid_t *out, size_t max)
{
    struct member *m;
    size_t n = collect(t, &m);
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = m[i].pid;
    free(m);
    return n < max ? n : max;
}

size_t tree_count(const struct proc_tree *t)
{
    struct member *m;
    size_t n = collect(t, &m);
    free(m);
    return n;
}

size_t tree_signal(const struct proc_tree *t, int sig)
{
    struct member *m;
    size_t n = collect(t, &m), sent = 0;
    for (size_t i = 0; i < n; i++) {
        /* the start time check makes sure a pid recycled since the scan is
         * never signalled */
        int fd = pidfd_open_verified(m[i].pid, m[i].start_time);
        if (fd < 0)
            continue;
        if (pidfd_signal(fd, sig) == 0)
            sent++;
        close(fd);
    }
    free(m);
    return sent;
}

size_t tree_kill(struct proc_tree *t)
{
    if (t->cgroup_dirfd >= 0) {
        int fd = openat(t->cgroup_dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (write(fd, "1", 1) == 1)
                t->cgroup_killed = 1;
            close(fd);
        }
    }
    return tree_signal(t, SIGKILL);
}

int tree_contains(const struct proc_tree *t, pid_t pid)
{
    for (int depth = 0; depth < 128 && pid > 1; depth++) {
        if (pid == t->root)
            return depth > 0;
        struct proc_stat st;
        if (proc_read_stat(pid, &st) < 0)
            return 0;
        pid = st.ppid;
    }
    return 0;
}
