/* suplink.c - the daemon's link to one instance supervisor. */
#include "daemon/suplink.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "daemon/inst_spec.h"
#include "daemon/lifecycle.h"
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
    pid_t sup_pid;
    uint64_t next_req;
    struct pending *pending;
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
    s->deleted = strcmp(s->status, "deleted") == 0;
}

static void fail_pending(struct suplink *l)
{
    struct pending *p = l->pending;
    l->pending = NULL;
    while (p) {
        struct pending *n = p->next;
        if (p->cb)
            p->cb(l->d, l->inst, NULL, 0, p->data);
        free(p);
        p = n;
    }
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
    if (l->inst) {
        suplink_parse_snapshot(&m, &l->inst->snap);
        l->sup_pid = l->inst->snap.sup_pid;
    }
    const char *reply = kv_get(&m, "reply");
    if (reply) {
        uint64_t req = strtoull(reply, NULL, 10);
        for (struct pending **pp = &l->pending; *pp; pp = &(*pp)->next) {
            struct pending *p = *pp;
            if (p->req != req)
                continue;
            *pp = p->next;
            /* descriptors (listen_fds) are for the callback; it owns them */
            if (p->cb)
                p->cb(l->d, l->inst, &m, kv_get_i64(&m, "ok", 0) == 1, p->data);
            free(p);
            break;
        }
    }
    for (unsigned i = 0; i < n_fds; i++)
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
    if (inst && inst->link == l)
        inst->link = NULL;
    free(l);
    if (inst)
        supervisor_gone(d, inst);
}

static const struct conn_handlers handlers = {on_frame, on_close};

struct suplink *suplink_attach(struct daemon *d, struct inst *inst, int fd, pid_t sup_pid)
{
    struct suplink *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->d = d;
    l->inst = inst;
    l->sup_pid = sup_pid;
    l->next_req = 1;
    l->conn = conn_new(d->loop, fd, FRAME_MAX_INTERNAL, &handlers, l);
    if (!l->conn) {
        free(l);
        return NULL;
    }
    if (inst)
        inst->link = l;
    return l;
}

int suplink_spawn(struct daemon *d, struct inst *inst, int start, const int *listen_fds,
                  int n_listen_fds, const char *listen_fdnames, char *err, size_t errlen)
{
    struct strbuf spec = STRBUF_INIT;
    spec.limit = FRAME_MAX_INTERNAL;
    int r = inst_build_spec(d, inst, start, n_listen_fds, listen_fdnames, &spec, err, errlen);
    if (r < 0) {
        strbuf_free(&spec);
        return r;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        strbuf_free(&spec);
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return neg_errno();
    }
    char sup_path[4200], title[200];
    snprintf(sup_path, sizeof(sup_path), "%s/drover-sup", d->exe_dir);
    snprintf(title, sizeof(title), "%s:%lld", inst->app->name, (long long)inst->id);
    char *argv[] = {"drover-sup", title, NULL};
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", getenv("DROVER_DEBUG") ? "DROVER_DEBUG=1" : NULL, NULL};
    struct spawn_fd fds[4 + 16];
    size_t n = 0;
    fds[n++] = (struct spawn_fd){-1, 0};
    fds[n++] = (struct spawn_fd){d->log_fd, 1};
    fds[n++] = (struct spawn_fd){d->log_fd, 2};
    fds[n++] = (struct spawn_fd){sv[1], 3};
    for (int i = 0; i < n_listen_fds && i < 16; i++)
        fds[n++] = (struct spawn_fd){listen_fds[i], 4 + i};
    struct spawn_opts o = {
        .file = sup_path,
        .argv = argv,
        .envp = envp,
        .fds = fds,
        .n_fds = n,
        .new_session = 1,
        .cgroup_procs_fd = -1,
    };
    pid_t pid;
    const char *step;
    r = spawn_process(&o, &pid, &step);
    close(sv[1]);
    if (r < 0) {
        close(sv[0]);
        strbuf_free(&spec);
        snprintf(err, errlen, "cannot start %s (%s): %s", sup_path, step, strerror(-r));
        return r;
    }
    struct suplink *l = suplink_attach(d, inst, sv[0], pid);
    if (!l) {
        close(sv[0]);
        strbuf_free(&spec);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    inst->snap.sup_pid = pid;
    r = conn_send(l->conn, spec.buf, spec.len, NULL, 0);
    strbuf_free(&spec);
    if (r < 0) {
        snprintf(err, errlen, "cannot send the spec to the supervisor: %s", strerror(-r));
        return r;
    }
    return 0;
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
    if (l->conn)
        conn_free(l->conn);
    free(l);
}

pid_t suplink_pid(const struct suplink *l)
{
    return l ? l->sup_pid : 0;
}
