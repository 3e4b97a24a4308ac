/* suplink.c - the daemon's link to one instance supervisor. */
#include "daemon/instances/suplink.h"
#include "proto/least_conn.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "daemon/instances/inst_spec.h"
#include "daemon/instances/lifecycle.h"
#include "daemon/instances/listeners.h"
#include "proto/snapshot.h"
#include "proto/spec.h"
#include "daemon/instances/orphans.h"
#include "proto/conn.h"
#include "proto/conn_stats.h"
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
    struct inst *inst; /* NULL: none (dismissed, or adopting) */
    int64_t gen;
    pid_t sup_pid;
    uint64_t next_req;
    struct pending *pending;
    struct inst_snapshot snap;
    int reported; /* a snapshot came from the supervisor itself */
    /* the shim's connection counters (proto/conn_stats.h), mapped
     * read-only; asked once, for an app that has the shim */
    struct conn_stats *conn_stats;
    int conn_stats_asked;
};

static void link_free(struct suplink *l)
{
    conn_stats_unmap(l->conn_stats);
    free(l);
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
        int v6only = a.family == AF_INET6 && kv_get_i64(m, "v6only", 0) == 1;
        int r = -EINVAL;
        if (port <= 0 || port > 65535 || listen_addr_parse(text, &check) < 0)
            snprintf(err, sizeof(err), "bad address");
        else if (!l->inst->want_running)
            snprintf(err, sizeof(err), "the app is stopped");
        else
            r = listeners_get(l->d, l->inst->app, &a, v6only, l->inst->slot, &fd, err, sizeof(err));
        if (r == 1)
            log_info("%s: sharing %s%s with its instances", l->inst->app->name, text,
                     a.family == AF_INET6 && !v6only ? " (dual-stack)" : "");
        else if (r < 0 && listeners_note_refusal(l->inst->app, err))
            log_warn("%s: cannot share %s: %s", l->inst->app->name, text, err);
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
    struct inst_snapshot snap;
    const char *bad;
    if (snapshot_unpack(&m, &snap, &bad) == 0) {
        l->snap = snap;
        l->reported = 1;
        if (snap.sup_pid)
            l->sup_pid = snap.sup_pid;
        if (l->inst && l->inst->link == l) {
            l->inst->snap = snap;
            l->inst->link_state = LINK_UP;
        }
        if (l->inst)
            suplink_want_conn_stats(l);
        if (l->inst && snap.serving && !l->inst->app->served) {
            l->inst->app->served = 1;
            daemon_persist(l->d);
        }
    } else if (!kv_get(&m, "reply")) {
        log_warn("supervisor %d sent a state without %s", (int)l->sup_pid, bad ? bad : "?");
    }
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
    link_free(l);
    if (primary)
        supervisor_gone(d, inst);
    else
        daemon_instances_changed(d);
}

static const struct conn_handlers handlers = {.on_frame = on_frame, .on_close = on_close};

struct suplink *suplink_attach(struct daemon *d, int fd, pid_t sup_pid)
{
    struct suplink *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->d = d;
    l->gen = -1;
    l->sup_pid = sup_pid;
    l->next_req = 1;
    l->snap.status = STATUS_ADOPTING;
    l->conn = conn_new(d->loop, fd, FRAME_MAX_INTERNAL, &handlers, l);
    if (!l->conn) {
        free(l);
        return NULL;
    }
    return l;
}

struct suplink *suplink_spawn(struct daemon *d, struct inst *inst, int64_t gen, int64_t restarts,
                              int start, char *err, size_t errlen)
{
    int listen_fds[SPEC_MAX_LISTEN_FDS];
    char names[1024];
    int n = start ? listeners_for_slot(inst->app, inst->slot, listen_fds, SPEC_MAX_LISTEN_FDS,
                                       names, sizeof(names))
                  : 0;
    /* least_conn: the counts map follows the sockets (proto/least_conn.h) */
    int lc_fd = start ? listeners_lc_map(inst->app) : -1;
    if (lc_cell(inst->slot, gen) < 0)
        lc_fd = -1;
    struct spec_params p = {gen, restarts, start, n, n ? names : NULL, lc_fd >= 0};
    struct strbuf spec = STRBUF_INIT;
    spec.limit = FRAME_MAX_INTERNAL;
    if (inst_build_spec(d, inst, &p, &spec, err, errlen) < 0) {
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
    orphans_sup_tag(d, inst->id, gen, tag, sizeof(tag));
    char *argv[] = {"drover-sup", title, tag, NULL};
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin",
                    getenv("DROVER_DEBUG") ? "DROVER_DEBUG=1" : NULL, NULL};
    struct spawn_fd fds[5 + SPEC_MAX_LISTEN_FDS];
    size_t k = 0;
    fds[k++] = (struct spawn_fd){-1, 0};
    fds[k++] = (struct spawn_fd){d->log_fd, 1};
    fds[k++] = (struct spawn_fd){d->log_fd, 2};
    fds[k++] = (struct spawn_fd){sv[1], 3};
    for (int i = 0; i < n; i++)
        fds[k++] = (struct spawn_fd){listen_fds[i], 4 + i};
    if (lc_fd >= 0)
        fds[k++] = (struct spawn_fd){lc_fd, 4 + n};
    struct spawn_opts o = {
        .file = sup_path,
        .argv = argv,
        .envp = envp,
        .fds = fds,
        .n_fds = k,
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
    struct suplink *l = suplink_attach(d, sv[0], pid);
    if (!l) {
        close(sv[0]);
        strbuf_free(&spec);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->inst = inst;
    l->gen = gen;
    /* what the instance shows until the supervisor reports */
    l->snap.status = start ? STATUS_LAUNCHING : STATUS_STOPPED;
    l->snap.sup_pid = pid;
    l->snap.gen = gen;
    l->snap.id = inst->id;
    l->snap.restarts = restarts;
    l->snap.created_at = inst->created_at;
    l->snap.exit_code = -1;
    snprintf(l->snap.name, sizeof(l->snap.name), "%s", inst->app->name);
    r = conn_send(l->conn, spec.buf, spec.len, NULL, 0);
    strbuf_free(&spec);
    if (r < 0) {
        snprintf(err, errlen, "cannot send the spec to the supervisor: %s", strerror(-r));
        suplink_detach(l);
        return NULL;
    }
    return l;
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

const struct inst_snapshot *suplink_snap(const struct suplink *l)
{
    return &l->snap;
}

static int send_request(struct suplink *l, const char *cmd, const char *extra_key,
                        const char *extra_value, const int *fds, unsigned n_fds,
                        suplink_reply_cb cb, void *data)
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
    int r = conn_send(l->conn, b.buf, b.len, n_fds ? fds : NULL, n_fds);
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

int suplink_request(struct suplink *l, const char *cmd, const char *extra_key,
                    const char *extra_value, suplink_reply_cb cb, void *data)
{
    return send_request(l, cmd, extra_key, extra_value, NULL, 0, cb, data);
}

int suplink_request_with_sockets(struct suplink *l, const char *cmd)
{
    if (!l || !l->inst)
        return -ENOTCONN;
    int fds[SPEC_MAX_LISTEN_FDS];
    char names[1024];
    int n = listeners_for_slot(l->inst->app, l->inst->slot, fds, SPEC_MAX_LISTEN_FDS, names,
                               sizeof(names));
    return send_request(l, cmd, "sockets", "1", fds, (unsigned)n, NULL, NULL);
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
    link_free(l);
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
    if (inst->next_link == l)
        inst->next_link = NULL;
    l->inst = inst;
    l->gen = gen;
    inst->link = l;
    inst->gen = gen;
    inst->snap = l->snap;
    inst->link_state = l->reported ? LINK_UP : LINK_STARTING;
}

static void on_conn_stats(struct daemon *d, struct suplink *l, struct inst *inst,
                          const struct kv_msg *reply, int ok, int *fds, unsigned n_fds, void *data)
{
    (void)d, (void)inst, (void)reply, (void)data;
    if (!ok || n_fds < 1 || fds[0] < 0 || l->conn_stats)
        return;
    int r = conn_stats_map(fds[0], 0, &l->conn_stats);
    if (r < 0)
        log_warn_errno(r, "supervisor %d: cannot map its connection counters", (int)l->sup_pid);
}

void suplink_want_conn_stats(struct suplink *l)
{
    if (l->conn_stats_asked || !l->inst || !inst_uses_shim(&l->inst->app->cfg))
        return;
    l->conn_stats_asked = 1;
    suplink_request(l, "conn_stats", NULL, NULL, on_conn_stats, NULL);
}

const struct conn_stats *suplink_conn_stats(const struct suplink *l)
{
    return l ? l->conn_stats : NULL;
}
