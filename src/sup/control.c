/* control.c - the supervisor's control socket: commands from the daemon in,
 * state events out. Payloads are kv records (proto/kv.h).
 *
 * Requests carry cmd= and req=<n>; the reply carries reply=<n>, ok=1 or
 * error=<text>, and a state snapshot (proto/snapshot.h). Commands: hello,
 * status, start, stop, restart, delete (these three with drain_queue=1 when
 * the daemon retires the instance's sockets, sup/drain.h), signal (sig=), reset,
 * reopen_logs, truncate_logs, stdin (data= written to the app's stdin,
 * sup/app_stdin.h), listen_fds (the sockets, as SCM_RIGHTS), conn_stats (the
 * page of the shim's connection counters, proto/conn_stats.h, attached),
 * rebind (create the control socket again: its file was removed), spec
 * (the reply carries the spec this supervisor runs instead of a snapshot). */
#include "base/fdutil.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/unixsock.h"
#include "logs/logger.h"
#include "loop/loop.h"
#include "proto/conn.h"
#include "proto/frame.h"
#include "proto/kv.h"
#include "proto/snapshot.h"
#include "sup/node_ipc.h"
#include "sup/sup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void add_snapshot(struct sup *s, struct strbuf *b)
{
    const struct instance *i = &s->inst;
    struct logger_stats ls;
    logger_get_stats(s->logger, &ls);
    struct inst_snapshot snap = {
        .id = s->spec.id,
        .gen = s->spec.gen,
        .status = s->exiting ? STATUS_EXITING : instance_status(i),
        .sup_pid = (int)getpid(),
        .pid = (int)i->pid,
        .pid_start = i->pid_start_time,
        .run = i->run,
        .ready = i->ready,
        .serving = i->serving,
        .restarts = i->counters.restarts,
        .unstable_restarts = i->counters.unstable_restarts,
        .started_at = i->pid ? i->started_at : 0,
        .created_at = s->spec.created_at,
        .exit_code = i->exit_code,
        .exit_signal = i->exit_signal,
        .last_exit_at = i->last_exit_at,
        .log_lines = ls.lines,
        .log_bytes = ls.bytes_written,
        .log_dropped = ls.bytes_dropped,
        .log_rotations = ls.rotations,
        .listen_fds = s->n_listen_fds,
    };
    snprintf(snap.name, sizeof(snap.name), "%s", s->spec.name);
    snprintf(snap.reason, sizeof(snap.reason), "%s", i->reason);
    snprintf(snap.cgroup, sizeof(snap.cgroup), "%s", i->tree.cgroup_path);
    snprintf(snap.notify_status, sizeof(snap.notify_status), "%s", s->notify_status);
    if (s->ipc) {
        const char *msgs[NODE_IPC_KEEP];
        size_t n = node_ipc_messages(s->ipc, msgs, NODE_IPC_KEEP);
        size_t first = n > SNAPSHOT_IPC_KEEP ? n - SNAPSHOT_IPC_KEEP : 0;
        for (size_t k = first; k < n; k++)
            snprintf(snap.ipc_msgs[snap.n_ipc_msgs++], sizeof(snap.ipc_msgs[0]), "%s", msgs[k]);
    }
    snapshot_pack(&snap, b);
}

static void send_to(struct conn *c, struct strbuf *b, const int *fds, unsigned n_fds)
{
    if (conn_send(c, b->buf ? b->buf : "", b->len, fds, n_fds) < 0)
        log_debug("dropping a message to a daemon that went away");
}

void control_broadcast_state(struct sup *s)
{
    struct strbuf b = STRBUF_INIT;
    kv_add(&b, "event", "state");
    add_snapshot(s, &b);
    for (int k = 0; k < SUP_MAX_CONNS; k++)
        if (s->conns[k])
            send_to(s->conns[k], &b, NULL, 0);
    strbuf_free(&b);
}

/* Fails every question still waiting when no daemon is left to answer. */
static void fail_asks_if_alone(struct sup *s)
{
    for (int k = 0; k < SUP_MAX_CONNS; k++)
        if (s->conns[k])
            return;
    for (int i = 0; i < SUP_MAX_ASKS; i++) {
        if (!s->asks[i].cb)
            continue;
        struct sup_ask a = s->asks[i];
        memset(&s->asks[i], 0, sizeof(s->asks[i]));
        a.cb(s, NULL, NULL, 0, a.data);
    }
}

static void remove_conn(struct sup *s, struct conn *c)
{
    for (int k = 0; k < SUP_MAX_CONNS; k++)
        if (s->conns[k] == c)
            s->conns[k] = NULL;
    fail_asks_if_alone(s);
}

int control_ask(struct sup *s, struct strbuf *payload, control_answer_cb cb, void *data)
{
    struct conn *c = NULL;
    for (int k = SUP_MAX_CONNS - 1; k >= 0 && !c; k--)
        c = s->conns[k]; /* the newest daemon */
    if (!c)
        return -ENOTCONN;
    int slot = -1;
    for (int i = 0; i < SUP_MAX_ASKS && slot < 0; i++)
        if (!s->asks[i].cb)
            slot = i;
    if (slot < 0)
        return -EBUSY;
    struct strbuf b = STRBUF_INIT;
    uint64_t id = ++s->next_ask;
    kv_add_i64(&b, "ask", (int64_t)id);
    strbuf_append(&b, payload->buf, payload->len);
    int r = conn_send(c, b.buf, b.len, NULL, 0);
    strbuf_free(&b);
    if (r < 0)
        return r;
    s->asks[slot] = (struct sup_ask){id, cb, data};
    return 0;
}

/* An answer from the daemon to one of our questions. */
static void handle_answer(struct sup *s, const struct kv_msg *m, int *fds, unsigned n_fds)
{
    uint64_t id = (uint64_t)kv_get_i64(m, "answer", 0);
    for (int i = 0; i < SUP_MAX_ASKS; i++) {
        if (s->asks[i].cb && s->asks[i].id == id) {
            struct sup_ask a = s->asks[i];
            memset(&s->asks[i], 0, sizeof(s->asks[i]));
            a.cb(s, m, fds, n_fds, a.data);
            return;
        }
    }
    for (unsigned k = 0; k < n_fds; k++)
        close(fds[k]);
}

static void on_close(struct conn *c, int err, void *data)
{
    struct sup *s = data;
    if (err < 0 && err != -ECONNRESET)
        log_warn_errno(err, "daemon connection dropped");
    remove_conn(s, c);
}

/* stop, restart, delete: drain_queue=1 says the daemon takes this
 * instance's sockets out of service, so the drain lets their queues empty
 * first (drain.h); a command that starts no drain forgets it. */
static int stop_command(struct sup *s, const struct kv_msg *m, int (*fn)(struct instance *))
{
    s->drain.queue_first = kv_get_i64(m, "drain_queue", 0) == 1;
    int r = fn(&s->inst);
    s->drain.queue_first = 0;
    return r;
}

static int run_command(struct sup *s, const char *cmd, const struct kv_msg *m, const char **error)
{
    struct instance *i = &s->inst;
    int r = 0;
    *error = NULL;
    if (strcmp(cmd, "hello") == 0 || strcmp(cmd, "status") == 0)
        return 0;
    if (s->exiting) {
        *error = "supervisor is exiting";
        return -ESHUTDOWN;
    }
    if (strcmp(cmd, "start") == 0)
        r = instance_start(i);
    else if (strcmp(cmd, "stop") == 0) {
        r = stop_command(s, m, instance_stop);
        /* a stopped app holds no port: neither may we (start brings them) */
        if (r >= 0 || r == -EALREADY)
            sup_set_listen_fds(s, NULL, 0);
    } else if (strcmp(cmd, "restart") == 0)
        r = stop_command(s, m, instance_restart);
    else if (strcmp(cmd, "delete") == 0)
        r = stop_command(s, m, instance_delete);
    else if (strcmp(cmd, "signal") == 0) {
        int sig = (int)kv_get_i64(m, "sig", 0);
        if (sig <= 0 || sig >= 65) {
            *error = "bad signal";
            return -EINVAL;
        }
        r = instance_signal(i, sig);
        if (r == -ESRCH)
            *error = "process is not running";
        return r;
    } else if (strcmp(cmd, "reset") == 0)
        instance_reset_counters(i);
    else if (strcmp(cmd, "reopen_logs") == 0)
        r = logger_reopen(s->logger);
    else if (strcmp(cmd, "truncate_logs") == 0)
        r = logger_truncate(s->logger);
    else if (strcmp(cmd, "stdin") == 0) {
        const char *data = kv_get(m, "data");
        r = data ? app_stdin_write(&s->app_in, data, strlen(data)) : -EINVAL;
        if (r == -ENOBUFS)
            *error = "its stdin is full (the app does not read it)";
        else if (r == -EMSGSIZE)
            *error = "the line is too long";
        return r;
    } else if (strcmp(cmd, "listen_fds") == 0)
        return 0;
    else if (strcmp(cmd, "conn_stats") == 0) {
        if (s->conn_stats_fd < 0) {
            *error = "the app has no connection counters (no shim)";
            return -ENOENT;
        }
        return 0;
    } else if (strcmp(cmd, "lc_map") == 0) {
        if (s->lc_fd < 0) {
            *error = "the app has no least_conn counts";
            return -ENOENT;
        }
        return 0;
    } else if (strcmp(cmd, "rebind") == 0)
        r = control_rebind(s);
    else if (strcmp(cmd, "spec") == 0)
        return 0;
    else {
        *error = "unknown command";
        return -EINVAL;
    }
    return r == -EALREADY ? 0 : r;
}

static void on_frame(struct conn *c, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data)
{
    struct sup *s = data;
    struct kv_msg m;
    if (kv_parse(payload, len, &m) < 0) {
        for (unsigned k = 0; k < n_fds; k++)
            close(fds[k]);
        log_warn("malformed control message from the daemon");
        conn_free(c);
        remove_conn(s, c);
        return;
    }
    if (kv_get(&m, "answer")) {
        handle_answer(s, &m, fds, n_fds);
        return;
    }
    const char *cmd = kv_get(&m, "cmd");
    if (cmd && (!strcmp(cmd, "start") || !strcmp(cmd, "restart")) && !s->exiting &&
        kv_get_i64(&m, "sockets", 0) == 1) {
        sup_set_listen_fds(s, fds, n_fds); /* what the next run inherits */
        n_fds = 0;
    }
    for (unsigned k = 0; k < n_fds; k++)
        close(fds[k]);
    const char *req = kv_get(&m, "req");
    const char *error = NULL;
    int r = cmd ? run_command(s, cmd, &m, &error) : -EINVAL;
    if (!cmd)
        error = "missing cmd";

    struct strbuf b = STRBUF_INIT;
    kv_add(&b, "reply", req ? req : "0");
    kv_add_i64(&b, "ok", r >= 0);
    if (r < 0)
        kv_add(&b, "error", error ? error : strerror(-r));
    if (r >= 0 && cmd && strcmp(cmd, "spec") == 0)
        spec_pack(&s->spec, &b); /* what we run: a daemon that lost its state rebuilds from it */
    else
        add_snapshot(s, &b);
    if (r >= 0 && cmd && strcmp(cmd, "conn_stats") == 0)
        send_to(c, &b, &s->conn_stats_fd, 1);
    else if (r >= 0 && cmd && strcmp(cmd, "lc_map") == 0)
        send_to(c, &b, &s->lc_fd, 1);
    else if (r >= 0 && cmd && strcmp(cmd, "listen_fds") == 0)
        send_to(c, &b, s->listen_fds, (unsigned)s->n_listen_fds);
    else
        send_to(c, &b, NULL, 0);
    strbuf_free(&b);
}

static const struct conn_handlers handlers = {.on_frame = on_frame, .on_close = on_close};

int control_serve_fd(struct sup *s, int fd)
{
    for (int k = 0; k < SUP_MAX_CONNS; k++) {
        if (s->conns[k])
            continue;
        s->conns[k] = conn_new(s->loop, fd, FRAME_MAX_INTERNAL, &handlers, s);
        if (!s->conns[k])
            return -ENOMEM;
        return 0;
    }
    return -EMFILE;
}

static void on_accept(struct ev_loop *loop, int lfd, unsigned events, void *data)
{
    struct sup *s = data;
    (void)loop;
    (void)events;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        if (unix_check_peer(fd, NULL) < 0 || control_serve_fd(s, fd) < 0) {
            close(fd);
            continue;
        }
    }
}

/* The directory of our socket, made again if someone removed it. */
static void ensure_socket_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir))
        return;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    (void)mkdir_p(dir, 0700);
}

int control_listen(struct sup *s)
{
    ensure_socket_dir(s->spec.sock_path);
    int fd = unix_listen(s->spec.sock_path, 0600, 1);
    if (fd < 0)
        return fd;
    int r = ev_io_add(s->loop, fd, EV_READ, on_accept, s);
    if (r < 0) {
        close(fd);
        return r;
    }
    s->ctl_listen_fd = fd;
    return 0;
}

int control_rebind(struct sup *s)
{
    if (s->exiting)
        return 0;
    ev_io_close(s->loop, &s->ctl_listen_fd);
    int r = control_listen(s);
    if (r < 0)
        log_warn_errno(r, "cannot bind %s again", s->spec.sock_path);
    return r;
}

static void on_shutdown_grace(struct ev_loop *loop, void *data)
{
    (void)data;
    ev_loop_stop(loop);
}

void control_shutdown(struct sup *s, const char *why)
{
    s->exiting = 1;
    if (s->ctl_listen_fd >= 0) {
        ev_io_close(s->loop, &s->ctl_listen_fd);
        unlink(s->spec.sock_path);
    }
    snprintf(s->inst.reason, sizeof(s->inst.reason), "%s", why);
    control_broadcast_state(s);
    for (int k = 0; k < SUP_MAX_CONNS; k++) {
        if (s->conns[k]) {
            conn_close_after_flush(s->conns[k]);
            s->conns[k] = NULL;
        }
    }
    /* the frames above are small; give the sockets a moment to drain */
    ev_timer_add(s->loop, 100, on_shutdown_grace, s);
}
