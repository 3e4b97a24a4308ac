/* suplink.c - the daemon's link to one instance supervisor. */
#include "daemon/suplink.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "daemon/inst_spec.h"
#include "daemon/lifecycle.h"
#include "daemon/listeners.h"
#include "daemon/orphans.h"
#include "proto/conn.h"
#include "proto/frame.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct pending {
    struct pending *next;
    uint64_t req;
    suplink_reply_cb cb;
    void *data;
};

struct suplink {
    struct daemon *d;
    struct conn *conn;
    struct inst *inst;
    int64_t gen;
    pid_t sup_pid;
    uint64_t next_req;
    struct pending *pending;
    struct inst_snap snap;
};

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

void suplink_parse_snapshot(const struct kv_msg *m, struct inst_snap *s)
{
    copy_str(s->status, sizeof(s->status), kv_get(m, "status"));
    s->pid = (pid_t)kv_get_i64(m, "pid", 0);
    s->pid_start = (uint64_t)kv_get_i64(m, "pid_start", 0);
    s->sup_pid = (pid_t)kv_get_i64(m, "sup_pid", 0);
    s->ready = (int)kv_get_i64(m, "ready", 0);
    s->restarts = kv_get_i64(m, "restarts", 0);
    s->unstable_restarts = kv_get_i64(m, "unstable_restarts", 0);
    s->started_at = kv_get_i64(m, "started_at", 0);
    s->exit_code = kv_get_i64(m, "exit_code", -1);
    s->exit_signal = kv_get_i64(m, "exit_signal", 0);
    s->last_exit_at = kv_get_i64(m, "last_exit_at", 0);
    copy_str(s->reason, sizeof(s->reason), kv_get(m, "reason"));
    copy_str(s->cgroup, sizeof(s->cgroup), kv_get(m, "cgroup"));
    s->log_lines = (uint64_t)kv_get_i64(m, "log_lines", 0);
    s->log_bytes = (uint64_t)kv_get_i64(m, "log_bytes", 0);
    s->log_dropped = (uint64_t)kv_get_i64(m, "log_dropped", 0);
    s->log_rotations = (uint64_t)kv_get_i64(m, "log_rotations", 0);
    s->n_listen_fds = (int)kv_get_i64(m, "listen_fds", 0);
    copy_str(s->notify_status, sizeof(s->notify_status), kv_get(m, "notify_status"));
    size_t total = kv_count(m, "ipc_msg"), pos = 0, k = 0;
    const char *v;
    s->n_ipc_msgs = 0;
    while ((v = kv_next(m, "ipc_msg", &pos))) {
        if (total - k++ > 3)
            continue; /* keep the newest three */
        copy_str(s->ipc_msgs[s->n_ipc_msgs++], sizeof(s->ipc_msgs[0]), v);
    }
    s->deleted = strcmp(s->status, "deleted") == 0;
}

static void fail_pending(struct suplink *l)
{
    struct pending *p = l->pending;
    l->pending = NULL;
    while (p) {
        struct pending *n = p->next;
        if (p->cb)
            p->cb(l->d, l, l->inst, NULL, 0, NULL, 0, p->data);
        free(p);
        p = n;
    }
}

/* A supervisor asks for a socket its app wants to bind (broker.h): bind it
 * once for the whole app (or per slot) and hand it over. */
static void answer_ask(struct suplink *l, const struct kv_msg *m)
{
    struct strbuf b = STRBUF_INIT;
    const char *kind = kv_get(m, "ask_kind");
    char err[512] = "";
    int fd = -1;
    kv_add(&b, "answer", kv_get(m, "ask"));
    if (!l->inst || !kind || strcmp(kind, "listen") != 0) {
        snprintf(err, sizeof(err), "unknown question");
    } else {
        struct listen_addr a = {0};
        const char *fam = kv_get(m, "family"), *addr = kv_get(m, "addr");
        int64_t port = kv_get_i64(m, "port", 0);
        a.family = fam && !strcmp(fam, "inet6") ? AF_INET6 : AF_INET;
        a.port = (uint16_t)port;
        snprintf(a.host, sizeof(a.host), "%s", addr ? addr : "");
        struct listen_addr check;
        char text[128];
        listen_addr_format(&a, text, sizeof(text));
        if (port <= 0 || port > 65535 || listen_addr_parse(text, &check) < 0)
            snprintf(err, sizeof(err), "bad address");
        else if (listeners_get(l->inst->app, &a, (int)kv_get_i64(m, "v6only", 0), l->inst->slot,
                               &fd, err, sizeof(err)) == 0)
            log_info("%s: sharing %s with its instances", l->inst->app->name, text);
    }
    kv_add_i64(&b, "ok", fd >= 0);
    if (fd < 0)
        kv_add(&b, "error", err);
    conn_send(l->conn, b.buf, b.len, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0);
    strbuf_free(&b);
}

static void on_frame(struct conn *c, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data)
{
    struct suplink *l = data;
    struct kv_msg m;
    (void)c;
    if (kv_parse(payload, len, &m) < 0) {
        log_warn("malformed message from supervisor %d", (int)l->sup_pid);
        for (unsigned i = 0; i < n_fds; i++)
            close(fds[i]);
        return;
    }
    if (kv_get(&m, "ask")) {
        for (unsigned i = 0; i < n_fds; i++)
            close(fds[i]);
        answer_ask(l, &m);
        return;
    }
    suplink_parse_snapshot(&m, &l->snap);
    if (l->snap.sup_pid)
        l->sup_pid = l->snap.sup_pid;
    if (l->inst && l->inst->link == l)
        l->inst->snap = l->snap;
    const char *reply = kv_get(&m, "reply");
    if (reply) {
        uint64_t req = strtoull(reply, NULL, 10);
        for (struct pending **pp = &l->pending; *pp; pp = &(*pp)->next) {
            struct pending *p = *pp;
            if (p->req != req)
                continue;
            *pp = p->next;
            /* descriptors (listen_fds) are for the callback to take */
            if (p->cb)
                p->cb(l->d, l, l->inst, &m, kv_get_i64(&m, "ok", 0) == 1, fds, n_fds, p->data);
            free(p);
            break;
        }
    }
    for (unsigned i = 0; i < n_fds; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    daemon_instances_changed(l->d);
}

static void on_close(struct conn *c, int err, void *data)
{
    struct suplink *l = data;
    (void)c;
    if (err < 0 && err != -ECONNRESET)
        log_warn_errno(err, "link to supervisor %d dropped", (int)l->sup_pid);
    struct daemon *d = l->d;
    struct inst *inst = l->inst;
    l->conn = NULL;
    fail_pending(l);
    int primary = inst && inst->link == l;
    if (primary)
        inst->link = NULL;
    if (inst && inst->next_link == l)
        inst->next_link = NULL;
    free(l);
    if (primary)
        supervisor_gone(d, inst);
    else
        daemon_instances_changed(d);
}

static const struct conn_handlers handlers = {.on_frame = on_frame, .on_close = on_close};

struct suplink *suplink_attach(struct daemon *d, struct inst *inst, int fd, pid_t sup_pid,
                               const struct inst_snap *snap)
{
    struct suplink *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->d = d;
    l->inst = inst;
    l->gen = inst ? inst->gen : -1;
    l->sup_pid = sup_pid;
    l->next_req = 1;
    l->conn = conn_new(d->loop, fd, FRAME_MAX_INTERNAL, &handlers, l);
    if (!l->conn) {
        free(l);
        return NULL;
    }
    if (snap)
        l->snap = *snap;
    if (inst)
        inst->link = l;
    return l;
}

/* Starts a supervisor for inst with the given spec parameters. The link
 * points at inst but is not installed anywhere. */
static struct suplink *spawn_link(struct daemon *d, struct inst *inst, const struct spec_params *p,
                                  const int *listen_fds, char *err, size_t errlen)
{
    struct strbuf spec = STRBUF_INIT;
    spec.limit = FRAME_MAX_INTERNAL;
    if (inst_build_spec(d, inst, p, &spec, err, errlen) < 0) {
        strbuf_free(&spec);
        return NULL;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        strbuf_free(&spec);
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return NULL;
    }
    char sup_path[4200], title[200], tag[96];
    snprintf(sup_path, sizeof(sup_path), "%s/drover-sup", d->exe_dir);
    snprintf(title, sizeof(title), "%s:%lld", inst->app->name, (long long)inst->id);
    /* how a new daemon finds this supervisor in /proc (orphans.h) */
    orphans_sup_tag(d, inst->id, p->gen, tag, sizeof(tag));
    char *argv[] = {"drover-sup", title, tag, NULL};
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin",
                    getenv("DROVER_DEBUG") ? "DROVER_DEBUG=1" : NULL, NULL};
    struct spawn_fd fds[4 + 16];
    size_t n = 0;
    fds[n++] = (struct spawn_fd){-1, 0};
    fds[n++] = (struct spawn_fd){d->log_fd, 1};
    fds[n++] = (struct spawn_fd){d->log_fd, 2};
    fds[n++] = (struct spawn_fd){sv[1], 3};
    for (int i = 0; i < p->n_listen_fds && i < 16; i++)
        fds[n++] = (struct spawn_fd){listen_fds[i], 4 + i};
    struct spawn_opts o = {
        .file = sup_path,
        .argv = argv,
        .envp = envp,
        .fds = fds,
        .n_fds = n,
        .new_session = 1,
        .nofile_soft = d->nofile_soft,
    };
    pid_t pid;
    const char *step;
    int r = spawn_process(&o, &pid, &step);
    close(sv[1]);
    if (r < 0) {
        close(sv[0]);
        strbuf_free(&spec);
        snprintf(err, errlen, "cannot start %s (%s): %s", sup_path, step, strerror(-r));
        return NULL;
    }
    struct suplink *l = suplink_attach(d, NULL, sv[0], pid, NULL);
    if (!l) {
        close(sv[0]);
        strbuf_free(&spec);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->inst = inst;
    l->gen = p->gen;
    l->snap.sup_pid = pid;
    snprintf(l->snap.status, sizeof(l->snap.status), "%s", p->start ? "launching" : "stopped");
    r = conn_send(l->conn, spec.buf, spec.len, NULL, 0);
    strbuf_free(&spec);
    if (r < 0) {
        snprintf(err, errlen, "cannot send the spec to the supervisor: %s", strerror(-r));
        suplink_detach(l);
        return NULL;
    }
    return l;
}

int suplink_spawn(struct daemon *d, struct inst *inst, int start, const int *listen_fds,
                  int n_listen_fds, const char *listen_fdnames, char *err, size_t errlen)
{
    struct spec_params p = {inst->gen, inst->snap.restarts, start, n_listen_fds, listen_fdnames};
    struct suplink *l = spawn_link(d, inst, &p, listen_fds, err, errlen);
    if (!l)
        return -EIO;
    inst->link = l;
    inst->snap.sup_pid = l->sup_pid;
    return 0;
}

struct suplink *suplink_spawn_replacement(struct daemon *d, struct inst *inst, int64_t gen,
                                          int64_t restarts, const int *listen_fds, int n_listen_fds,
                                          const char *listen_fdnames, char *err, size_t errlen)
{
    struct spec_params p = {gen, restarts, 1, n_listen_fds, listen_fdnames};
    return spawn_link(d, inst, &p, listen_fds, err, errlen);
}

struct suplink *suplink_promote(struct suplink *l)
{
    struct inst *inst = l->inst;
    struct suplink *old = inst->link;
    if (old == l)
        return NULL;
    if (old)
        old->inst = NULL;
    if (inst->next_link == l)
        inst->next_link = NULL;
    inst->link = l;
    inst->snap = l->snap;
    return old;
}

void suplink_disown(struct suplink *l)
{
    if (!l || !l->inst)
        return;
    if (l->inst->link == l)
        l->inst->link = NULL;
    if (l->inst->next_link == l)
        l->inst->next_link = NULL;
    l->inst = NULL;
}

const struct inst_snap *suplink_snap(const struct suplink *l)
{
    return &l->snap;
}

int suplink_request(struct suplink *l, const char *cmd, const char *extra_key,
                    const char *extra_value, suplink_reply_cb cb, void *data)
{
    if (!l || !l->conn)
        return -ENOTCONN;
    struct pending *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    struct strbuf b = STRBUF_INIT;
    p->req = l->next_req++;
    p->cb = cb;
    p->data = data;
    kv_add(&b, "cmd", cmd);
    kv_add_i64(&b, "req", (int64_t)p->req);
    if (extra_key)
        kv_add(&b, extra_key, extra_value);
    int r = conn_send(l->conn, b.buf, b.len, NULL, 0);
    strbuf_free(&b);
    if (r < 0) {
        free(p);
        return r;
    }
    /* keep replies in request order */
    struct pending **pp = &l->pending;
    while (*pp)
        pp = &(*pp)->next;
    *pp = p;
    return 0;
}

void suplink_detach(struct suplink *l)
{
    if (!l)
        return;
    struct pending *p = l->pending;
    while (p) {
        struct pending *n = p->next;
        free(p);
        p = n;
    }
    if (l->inst && l->inst->link == l)
        l->inst->link = NULL;
    if (l->inst && l->inst->next_link == l)
        l->inst->next_link = NULL;
    if (l->conn)
        conn_free(l->conn);
    free(l);
}

pid_t suplink_pid(const struct suplink *l)
{
    return l ? l->sup_pid : 0;
}

int64_t suplink_gen(const struct suplink *l)
{
    return l ? l->gen : -1;
}

void suplink_bind(struct suplink *l, struct inst *inst, int64_t gen)
{
    l->inst = inst;
    l->gen = gen;
    inst->link = l;
    inst->gen = gen;
    inst->snap = l->snap;
}
