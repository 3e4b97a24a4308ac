/* orphans.c - what a dead supervisor left behind (orphans.h). */
#include "daemon/instances/orphans.h"
#include "base/fdutil.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/parse.h"
#include "base/pidfd.h"
#include "base/procfs.h"
#include "loop/loop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER_VAR "DROVER_INSTANCE_KEY="
#define ENVIRON_MAX (1u << 20)
#define CMDLINE_MAX 4096
#define RMDIR_TRIES 30
#define RMDIR_RETRY_MS 100

void orphans_marker(const struct daemon *d, int64_t id, int64_t gen, char *out, size_t len)
{
    snprintf(out, len, MARKER_VAR "%s.%lld.%lld", d->home_key, (long long)id, (long long)gen);
}

void orphans_sup_tag(const struct daemon *d, int64_t id, int64_t gen, char *out, size_t len)
{
    snprintf(out, len, "%s.%lld.%lld", d->home_key, (long long)id, (long long)gen);
}

/* Parses "<id>.<gen>" (all of s). */
static int parse_id_gen(const char *s, int64_t *id, int64_t *gen)
{
    const char *dot = strchr(s, '.');
    char head[32];
    if (!dot || (size_t)(dot - s) >= sizeof(head))
        return -EINVAL;
    memcpy(head, s, (size_t)(dot - s));
    head[dot - s] = '\0';
    if (parse_int64(head, 0, INT64_MAX, id) < 0 || parse_int64(dot + 1, 0, INT64_MAX, gen) < 0)
        return -EINVAL;
    return 0;
}

/* Parses "<key>.<id>.<gen>" of our home. */
static int parse_tag(const struct daemon *d, const char *s, int64_t *id, int64_t *gen)
{
    size_t k = strlen(d->home_key);
    if (strncmp(s, d->home_key, k) != 0 || s[k] != '.')
        return -EINVAL;
    return parse_id_gen(s + k + 1, id, gen);
}

/* True when pid runs as us (anything, for root). */
static int same_owner(pid_t pid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%d", (int)pid);
    if (stat(path, &st) < 0)
        return 0;
    return geteuid() == 0 || st.st_uid == geteuid();
}

/* Calls visit(pid) for every process of ours but this one. */
static void each_process(void (*visit)(pid_t pid, void *data), void *data)
{
    DIR *dir = opendir("/proc");
    if (!dir)
        return;
    struct dirent *de;
    pid_t self = getpid();
    while ((de = readdir(dir))) {
        int64_t v;
        if (parse_int64(de->d_name, 1, INT32_MAX, &v) < 0 || (pid_t)v == self)
            continue;
        if (same_owner((pid_t)v))
            visit((pid_t)v, data);
    }
    closedir(dir);
}

/* Reads /proc/<pid>/<what> (NUL-separated strings). */
static char *read_proc(pid_t pid, const char *what, size_t max, size_t *len)
{
    char path[64];
    char *text = NULL;
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
    if (read_file_at(AT_FDCWD, path, max, &text, len) < 0)
        return NULL;
    return text;
}

struct find_ctx {
    const struct daemon *d;
    struct found_sup *items;
    size_t n, cap;
    int err;
};

static void visit_sup(pid_t pid, void *data)
{
    struct find_ctx *c = data;
    size_t len;
    _cleanup_free_ char *cmd = read_proc(pid, "cmdline", CMDLINE_MAX, &len);
    if (!cmd || len == 0)
        return;
    /* argv[0] \0 argv[1] \0 argv[2] \0 */
    const char *argv0 = cmd, *end = cmd + len;
    const char *a1 = argv0 + strlen(argv0) + 1;
    const char *a2 = a1 < end ? a1 + strlen(a1) + 1 : end;
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    int64_t id, gen;
    if (a2 >= end || strcmp(base, "drover-sup") != 0 || parse_tag(c->d, a2, &id, &gen) < 0)
        return;
    struct proc_stat st;
    if (proc_read_stat(pid, &st) < 0 || st.state == 'Z')
        return;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        struct found_sup *ni = realloc(c->items, ncap * sizeof(*ni));
        if (!ni) {
            c->err = -ENOMEM;
            return;
        }
        c->items = ni;
        c->cap = ncap;
    }
    c->items[c->n++] = (struct found_sup){pid, st.start_time, id, gen};
}

int orphans_find_supervisors(const struct daemon *d, struct found_sup **out, size_t *n)
{
    struct find_ctx c = {.d = d};
    each_process(visit_sup, &c);
    if (c.err < 0) {
        free(c.items);
        return c.err;
    }
    *out = c.items;
    *n = c.n;
    return 0;
}

struct kill_ctx {
    char prefix[128]; /* MARKER_VAR<key>.<id>. */
    int64_t gen;      /* < 0: any */
    size_t killed;
};

/* True when entry is the marker of the instance (and generation) sought. */
static int marks(const struct kill_ctx *k, const char *entry)
{
    size_t n = strlen(k->prefix);
    if (strncmp(entry, k->prefix, n) != 0)
        return 0;
    int64_t g;
    if (parse_int64(entry + n, 0, INT64_MAX, &g) < 0)
        return 0;
    return k->gen < 0 || g == k->gen;
}

static void visit_orphan(pid_t pid, void *data)
{
    struct kill_ctx *k = data;
    size_t len;
    _cleanup_free_ char *env = read_proc(pid, "environ", ENVIRON_MAX, &len);
    if (!env)
        return;
    for (size_t off = 0; off < len; off += strlen(env + off) + 1) {
        if (!marks(k, env + off))
            continue;
        int fd = pidfd_open_cloexec(pid);
        if (fd >= 0) {
            if (pidfd_signal(fd, SIGKILL) == 0)
                k->killed++;
            close(fd);
        }
        return;
    }
}

struct rmdir_job {
    struct daemon *d;
    int tries;
    char path[];
};

static void on_rmdir_retry(struct ev_loop *loop, void *data)
{
    struct rmdir_job *j = data;
    if (rmdir(j->path) == 0 || errno == ENOENT || ++j->tries >= RMDIR_TRIES || j->d->exiting) {
        free(j);
        return;
    }
    if (ev_timer_add(loop, RMDIR_RETRY_MS, on_rmdir_retry, j) < 0)
        free(j);
}

/* Kills everything in a cgroup and removes it once its processes are gone. */
static void kill_cgroup(struct daemon *d, const char *path)
{
    char file[PATH_MAX + 16];
    snprintf(file, sizeof(file), "%s/cgroup.kill", path);
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)!write(fd, "1", 1);
        close(fd);
    }
    if (rmdir(path) == 0 || errno == ENOENT)
        return;
    size_t len = strlen(path) + 1;
    struct rmdir_job *j = malloc(sizeof(*j) + len);
    if (!j)
        return;
    j->d = d;
    j->tries = 0;
    memcpy(j->path, path, len);
    if (ev_timer_add(d->loop, RMDIR_RETRY_MS, on_rmdir_retry, j) < 0)
        free(j);
}

/* Calls visit for every instance cgroup "<id>.<gen>" under the base. */
static void each_cgroup(struct daemon *d,
                        void (*visit)(struct daemon *d, const char *path, int64_t id, int64_t gen,
                                      void *data),
                        void *data)
{
    if (!d->cgroup_base[0])
        return;
    DIR *dir = opendir(d->cgroup_base);
    if (!dir)
        return;
    struct dirent *de;
    while ((de = readdir(dir))) {
        int64_t id, gen;
        char path[PATH_MAX];
        if (de->d_type != DT_DIR || parse_id_gen(de->d_name, &id, &gen) < 0 ||
            snprintf(path, sizeof(path), "%s/%s", d->cgroup_base, de->d_name) >= (int)sizeof(path))
            continue;
        visit(d, path, id, gen, data);
    }
    closedir(dir);
}

struct cgroup_match {
    int64_t id, gen;
};

static void kill_matching(struct daemon *d, const char *path, int64_t id, int64_t gen, void *data)
{
    const struct cgroup_match *m = data;
    if (id == m->id && (m->gen < 0 || gen == m->gen))
        kill_cgroup(d, path);
}

size_t orphans_kill(struct daemon *d, int64_t id, int64_t gen)
{
    struct cgroup_match m = {id, gen};
    each_cgroup(d, kill_matching, &m);
    struct kill_ctx k = {.gen = gen};
    snprintf(k.prefix, sizeof(k.prefix), MARKER_VAR "%s.%lld.", d->home_key, (long long)id);
    each_process(visit_orphan, &k);
    if (k.killed)
        log_warn("instance %lld: killed %zu process(es) its supervisor left behind", (long long)id,
                 k.killed);
    return k.killed;
}

struct sweep_ctx {
    const struct found_sup *keep;
    size_t n_keep;
};

static void sweep_one(struct daemon *d, const char *path, int64_t id, int64_t gen, void *data)
{
    const struct sweep_ctx *c = data;
    for (size_t i = 0; i < c->n_keep; i++)
        if (c->keep[i].id == id && c->keep[i].gen == gen)
            return;
    kill_cgroup(d, path);
}

void orphans_sweep_cgroups(struct daemon *d, const struct found_sup *keep, size_t n_keep)
{
    struct sweep_ctx c = {keep, n_keep};
    each_cgroup(d, sweep_one, &c);
}
