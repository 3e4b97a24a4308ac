/* broker.c - shared sockets for the preload shim. */
#include "sup/broker.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "config/listen_addr.h"
#include "loop/loop.h"
#include "proto/conn_stats.h"
#include "proto/conn.h"
#include "proto/frame.h"
#include "proto/kv.h"
#include "sup/sup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct conn *conns[BROKER_MAX_CONNS];
static uint64_t conn_gen[BROKER_MAX_CONNS];
static pid_t conn_pid[BROKER_MAX_CONNS]; /* the peer, from SO_PEERCRED */

static int conn_slot(const struct conn *c)
{
    for (int i = 0; i < BROKER_MAX_CONNS; i++)
        if (conns[i] == c)
            return i;
    return -1;
}

static void reply(struct conn *c, int ok, const char *error, int fd)
{
    struct strbuf b = STRBUF_INIT;
    kv_add_i64(&b, "ok", ok);
    if (error)
        kv_add(&b, "error", error);
    conn_send(c, b.buf, b.len, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0);
    strbuf_free(&b);
}

/* Does fd listen on (family, addr, port)? */
static int socket_matches(int fd, const struct listen_addr *want, int v6only)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct listen_addr have;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
        listen_addr_from_sockaddr((struct sockaddr *)&ss, len, &have) < 0)
        return 0;
    if (have.family != want->family || have.port != want->port || strcmp(have.host, want->host))
        return 0;
    if (have.family == AF_INET6) {
        int v = 0;
        socklen_t vl = sizeof(v);
        getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl);
        if (v != v6only)
            return 0;
    }
    return 1;
}

struct pending_listen {
    int slot;
    uint64_t gen;
};

static void on_daemon_answer(struct sup *s, const struct kv_msg *answer, int *fds, unsigned n_fds,
                             void *data)
{
    struct pending_listen *p = data;
    struct conn *c = conns[p->slot] && conn_gen[p->slot] == p->gen ? conns[p->slot] : NULL;
    int fd = n_fds > 0 ? fds[0] : -1;
    for (unsigned i = 1; i < n_fds; i++)
        close(fds[i]);
    free(p);
    if (!answer) {
        if (c)
            reply(c, 0, "the daemon is not reachable to share a new port", -1);
        if (fd >= 0)
            close(fd);
        return;
    }
    if (kv_get_i64(answer, "ok", 0) != 1 || fd < 0) {
        const char *e = kv_get(answer, "error");
        if (c)
            reply(c, 0, e ? e : "the daemon refused the port", -1);
        if (fd >= 0)
            close(fd);
        return;
    }
    /* keep it: the next incarnation inherits it, a new daemon collects it */
    if (sup_add_listen_fd(s, fd) < 0) {
        if (c)
            reply(c, 0, "too many sockets", -1);
        close(fd);
        return;
    }
    if (c)
        reply(c, 1, NULL, fd);
}

static void handle_listen(struct sup *s, struct conn *c, const struct kv_msg *m)
{
    const char *fam = kv_get(m, "family");
    const char *addr = kv_get(m, "addr");
    int64_t port = kv_get_i64(m, "port", 0);
    int v6only = (int)kv_get_i64(m, "v6only", 0);
    struct listen_addr want = {0};
    if (!fam || !addr || port <= 0 || port > 65535 || strlen(addr) >= sizeof(want.host)) {
        reply(c, 0, "bad listen request", -1);
        return;
    }
    if ((s->spec.inspect_port && port == s->spec.inspect_port) ||
        (s->spec.metrics_port && port == s->spec.metrics_port)) {
        /* node's inspector, or the app's own metrics: this instance's own
         * port, never shared; bound SO_REUSEPORT, so a reload's replacement
         * (same slot, same port) gets it while the old worker still runs */
        struct strbuf b = STRBUF_INIT;
        kv_add_i64(&b, "ok", 0);
        kv_add_i64(&b, "passthrough", 1);
        kv_add_i64(&b, "reuseport", 1);
        conn_send(c, b.buf, b.len, NULL, 0);
        strbuf_free(&b);
        return;
    }
    want.family = strcmp(fam, "inet6") == 0 ? AF_INET6 : AF_INET;
    want.port = (uint16_t)port;
    snprintf(want.host, sizeof(want.host), "%s", addr);
    for (int i = 0; i < s->n_listen_fds; i++) {
        if (socket_matches(s->listen_fds[i], &want, v6only)) {
            reply(c, 1, NULL, s->listen_fds[i]);
            return;
        }
    }
    struct pending_listen *p = malloc(sizeof(*p));
    int slot = conn_slot(c);
    if (!p || slot < 0) {
        free(p);
        reply(c, 0, "out of memory", -1);
        return;
    }
    p->slot = slot;
    p->gen = conn_gen[slot];
    struct strbuf b = STRBUF_INIT;
    kv_add(&b, "ask_kind", "listen");
    kv_add(&b, "family", fam);
    kv_add(&b, "addr", addr);
    kv_add_i64(&b, "port", port);
    kv_add_i64(&b, "v6only", v6only);
    int r = control_ask(s, &b, on_daemon_answer, p);
    strbuf_free(&b);
    if (r < 0) {
        free(p);
        reply(c, 0, "the daemon is not reachable to share a new port", -1);
    }
}

static void on_frame(struct conn *c, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data)
{
    struct sup *s = data;
    for (unsigned i = 0; i < n_fds; i++)
        close(fds[i]);
    struct kv_msg m;
    const char *cmd;
    if (kv_parse(payload, len, &m) < 0 || !(cmd = kv_get(&m, "cmd"))) {
        reply(c, 0, "malformed request", -1);
        return;
    }
    if (strcmp(cmd, "listen") == 0) {
        handle_listen(s, c, &m);
    } else if (strcmp(cmd, "drainable") == 0) {
        /* a process holding shared sockets took the drain signal (proto/drain.h) */
        int slot = conn_slot(c);
        int r = slot >= 0 ? drain_register(&s->drain, &s->inst.tree, conn_pid[slot]) : -ESRCH;
        if (r < 0)
            log_debug("%s: cannot note process %d as drainable: %s", s->spec.name,
                      slot >= 0 ? (int)conn_pid[slot] : 0, strerror(-r));
        reply(c, r == 0, r < 0 ? strerror(-r) : NULL, -1);
    } else if (strcmp(cmd, "stats") == 0) {
        /* the shim maps the page and counts its accepts (proto/conn_stats.h) */
        reply(c, s->conn_stats_fd >= 0, s->conn_stats_fd >= 0 ? NULL : "no counters",
              s->conn_stats_fd);
    } else if (strcmp(cmd, "lc") == 0) {
        /* least_conn: the shim counts its open connections in our cell */
        if (s->lc_fd < 0) {
            reply(c, 0, "no least_conn counts", -1);
        } else {
            struct strbuf b = STRBUF_INIT;
            kv_add_i64(&b, "ok", 1);
            kv_add_i64(&b, "cell", s->spec.lc_cell);
            conn_send(c, b.buf, b.len, &s->lc_fd, 1);
            strbuf_free(&b);
        }
    } else if (strcmp(cmd, "ready") == 0) {
        /* listen() on a shared socket: the run serves */
        instance_mark_serving(&s->inst);
        reply(c, 1, NULL, -1);
    } else {
        reply(c, 0, "unknown command", -1);
    }
}

static void on_close(struct conn *c, int err, void *data)
{
    (void)err;
    (void)data;
    int i = conn_slot(c);
    if (i >= 0)
        conns[i] = NULL;
}

static const struct conn_handlers handlers = {.on_frame = on_frame, .on_close = on_close};

static void on_accept(struct ev_loop *loop, int lfd, unsigned events, void *data)
{
    struct sup *s = data;
    (void)loop;
    (void)events;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        int slot = conn_slot(NULL);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
            !tree_contains(&s->inst.tree, cred.pid) || slot < 0) {
            close(fd);
            continue;
        }
        conns[slot] = conn_new(s->loop, fd, 65536, &handlers, s);
        if (!conns[slot])
            close(fd);
        conn_gen[slot]++;
        conn_pid[slot] = cred.pid;
    }
}

int broker_open(struct sup *s)
{
    /* counters are a nicety: without a page the shim just does not count */
    int cr = conn_stats_create(&s->conn_stats_fd, &s->conn_stats);
    if (cr < 0) {
        log_warn_errno(cr, "no connection counters for the app");
        s->conn_stats_fd = -1;
        s->conn_stats = NULL;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return neg_errno();
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int n =
        snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "drover.%d.broker", (int)getpid());
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    int r;
    if (bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 64) < 0 ||
        (r = ev_io_add(s->loop, fd, EV_READ, on_accept, s)) < 0) {
        r = neg_errno();
        close(fd);
        return r;
    }
    s->broker_fd = fd;
    snprintf(s->broker_name, sizeof(s->broker_name), "@%s", addr.sun_path + 1);
    return 0;
}

void broker_close(struct sup *s)
{
    ev_io_close(s->loop, &s->broker_fd);
    if (s->conn_stats_fd >= 0)
        close(s->conn_stats_fd);
    s->conn_stats_fd = -1;
    conn_stats_unmap(s->conn_stats);
    s->conn_stats = NULL;
    for (int i = 0; i < BROKER_MAX_CONNS; i++) {
        if (conns[i]) {
            conn_free(conns[i]);
            conns[i] = NULL;
        }
    }
}
