/* server.c - the daemon's control socket and CLI connections (server.h). */
#include "daemon/server.h"
#include "base/errname.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/unixsock.h"
#include "base/utf8.h"
#include "daemon/cmd/commands.h"
#include "daemon/ops/ops.h"
#include "daemon/instances/suplink.h"
#include "loop/loop.h"
#include "proto/conn.h"
#include "proto/frame.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TICK_MS 1000
#define ACCEPT_PAUSE_MIN_MS 50
#define ACCEPT_PAUSE_MAX_MS 1000

struct client {
    struct client *prev, *next;
    struct server *srv;
    struct conn *conn;
    json_t *reply;        /* answered, not yet sent (server_before_sleep) */
    int busy;             /* a request is being served */
    int quiet;            /* the request said "quiet": no process list in the reply */
    int64_t since;        /* mono ms: connected, or last reply sent */
    int64_t heartbeat_at; /* mono ms of the next progress frame while busy */
};

struct server {
    struct daemon *d;
    struct client *head, *tail; /* oldest first */
    size_t n_clients;
    struct conn_budget budget;
    int64_t tick_timer;
    int64_t accept_timer; /* pending resume of a paused accept loop */
    int64_t accept_pause_ms;
    dev_t sock_dev;
    ino_t sock_ino;
    int replies_pending; /* some client has an answered reply to send */
};

static void unlink_client(struct server *s, struct client *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->tail = c->prev;
    s->n_clients--;
    json_decref(c->reply);
    c->reply = NULL;
}

/* Forgets c: pending operations stop replying to it. The conn is freed by
 * the caller (or is being freed by the conn itself). */
static void drop_client(struct client *c)
{
    struct server *s = c->srv;
    unlink_client(s, c);
    ops_client_gone(s->d, c);
    free(c);
}

static void close_client(struct client *c)
{
    conn_free(c->conn);
    drop_client(c);
}

static void send_reply_text(struct client *c, const char *text)
{
    int r = conn_send(c->conn, text, strlen(text), NULL, 0);
    if (r == -EMSGSIZE) {
        char msg[300];
        snprintf(msg, sizeof(msg),
                 "{\"ok\":false,\"code\":\"EMSGSIZE\",\"error\":\"the reply is too large "
                 "(%zu MiB, the limit is %u MiB): ask for fewer processes\"}",
                 strlen(text) >> 20, FRAME_MAX_RESPONSE >> 20);
        r = conn_send(c->conn, msg, strlen(msg), NULL, 0);
        log_warn("a reply of %zu bytes was too large for the CLI", strlen(text));
    }
    if (r < 0)
        log_debug("reply to a CLI that went away");
}

void server_reply(struct client *c, json_t *reply)
{
    if (!c) {
        json_decref(reply);
        return;
    }
    /* sent by server_before_sleep, once state.json holds what it tells */
    if (c->reply) {
        /* a handler answered twice: the first answer stands */
        log_error("a second reply to one request was dropped");
        json_decref(reply);
        return;
    }
    c->reply = reply;
    c->srv->replies_pending = 1;
}

/* Serializes and queues one answered reply; a failed state.json write is a
 * warning in it. */
static void send_reply(struct client *c)
{
    struct daemon *d = c->srv->d;
    json_t *reply = c->reply;
    c->reply = NULL;
    c->busy = 0;
    c->since = mono_ms();
    if (c->quiet) {
        json_object_del(reply, "processes");
        json_object_del(reply, "apps");
    }
    if (d->persist_error < 0) {
        char w[300];
        snprintf(w, sizeof(w),
                 "the daemon cannot save its state (state.json: %s): a restarted daemon "
                 "would not know the latest changes",
                 strerror(-d->persist_error));
        json_t *warnings = json_object_get(reply, "warnings");
        if (!json_is_array(warnings)) {
            warnings = json_array();
            json_object_set_new(reply, "warnings", warnings);
        }
        json_array_append_new(warnings, json_string(w));
    }
    if (!json_object_get(reply, "ok"))
        json_object_set_new(reply, "ok", json_true());
    char *text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (!text) {
        text = strdup("{\"ok\":false,\"code\":\"ENOMEM\",\"error\":\"cannot encode the reply\"}");
        log_error("cannot encode a reply");
    }
    if (text)
        send_reply_text(c, text);
    free(text);
}

void server_before_sleep(struct daemon *d)
{
    struct server *s = d->server;
    if (!s || !s->replies_pending)
        return;
    s->replies_pending = 0;
    /* what a CLI hears about is on disk first: a daemon killed right after
     * answering still knows it (redis writes its AOF in beforeSleep too) */
    daemon_persist_flush(d);
    for (struct client *c = s->head; c; c = c->next)
        if (c->reply)
            send_reply(c);
}

void server_reply_error_code(struct client *c, int err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_sanitize(msg);
    json_t *reply = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
    if (err)
        json_object_set_new(reply, "code", json_string(errno_name(err)));
    server_reply(c, reply);
}

/* The last words to a client that broke the protocol, then close. */
static void refuse(struct client *c, int err, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void refuse(struct client *c, int err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_sanitize(msg);
    json_t *reply = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", msg, "code", errno_name(err));
    char *text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (text)
        conn_send(c->conn, text, strlen(text), NULL, 0);
    free(text);
    conn_close_after_flush(c->conn);
    drop_client(c);
}

static void on_frame(struct conn *conn, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data)
{
    struct client *c = data;
    struct daemon *d = c->srv->d;
    (void)conn;
    for (unsigned i = 0; i < n_fds; i++)
        close(fds[i]);
    if (c->busy) {
        refuse(c, -EBUSY, "one request at a time");
        return;
    }
    json_error_t jerr;
    json_t *req = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *cmd = json_is_object(req) ? json_string_value(json_object_get(req, "cmd")) : NULL;
    if (!cmd) {
        log_warn("malformed request from a client: %s", req ? "no cmd" : jerr.text);
        refuse(c, -EPROTO, "malformed request: %s", req ? "missing \"cmd\"" : jerr.text);
        json_decref(req);
        return;
    }
    command_fn fn = command_lookup(cmd);
    c->busy = 1;
    c->quiet = json_is_true(json_object_get(req, "quiet"));
    c->since = mono_ms();
    c->heartbeat_at = c->since + SERVER_HEARTBEAT_MS;
    if (!fn)
        server_reply_error_code(c, -ENOSYS, "unknown command '%s'", cmd);
    else if (d->exiting || d->shutting_down)
        server_reply_error_code(c, -ESHUTDOWN, "the daemon is shutting down");
    else
        fn(d, c, req);
    json_decref(req);
}

static void on_oversize(struct conn *conn, size_t len, void *data)
{
    (void)conn;
    log_warn("refused a request of %zu bytes", len);
    refuse(data, -EMSGSIZE, "the request is too large (%zu KiB, the limit is %u KiB)", len >> 10,
           FRAME_MAX_REQUEST >> 10);
}

static void on_close(struct conn *conn, int err, void *data)
{
    (void)conn;
    if (err == -EMSGSIZE || err == -EPROTO || err == -EPROTONOSUPPORT || err == -ENOBUFS)
        log_warn_errno(err, "dropped a client connection");
    drop_client(data);
}

static const struct conn_handlers handlers = {on_frame, on_close, on_oversize};

/* The oldest connection that is not being served, or NULL. */
static struct client *oldest_idle(struct server *s)
{
    for (struct client *c = s->head; c; c = c->next)
        if (!c->busy)
            return c;
    return NULL;
}

static void on_accept(struct ev_loop *loop, int lfd, unsigned events, void *data);

static void on_accept_resume(struct ev_loop *loop, void *data)
{
    struct server *s = data;
    s->accept_timer = 0;
    if (s->d->listen_fd >= 0)
        ev_io_mod(loop, s->d->listen_fd, EV_READ);
}

/* Out of fds (or memory): let an idle client go and stop accepting for a
 * while, so a full queue does not spin the loop. */
static void pause_accepting(struct server *s)
{
    struct client *victim = oldest_idle(s);
    if (victim)
        close_client(victim);
    s->accept_pause_ms =
        s->accept_pause_ms ? MIN(s->accept_pause_ms * 2, ACCEPT_PAUSE_MAX_MS) : ACCEPT_PAUSE_MIN_MS;
    ev_io_mod(s->d->loop, s->d->listen_fd, 0);
    if (!s->accept_timer) {
        int64_t t = ev_timer_add(s->d->loop, s->accept_pause_ms, on_accept_resume, s);
        s->accept_timer = t > 0 ? t : 0;
    }
}

static void on_accept(struct ev_loop *loop, int lfd, unsigned events, void *data)
{
    struct server *s = data;
    (void)loop;
    (void)events;
    for (int n = 0; n < 64; n++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_warn_errno(neg_errno(), "cannot accept a CLI connection");
                pause_accepting(s);
            }
            return;
        }
        s->accept_pause_ms = 0;
        if (unix_check_peer(fd, NULL) < 0) {
            log_warn("refused a control connection from another user");
            close(fd);
            continue;
        }
        if (s->n_clients >= SERVER_MAX_CLIENTS) {
            struct client *victim = oldest_idle(s);
            if (!victim) {
                close(fd);
                continue;
            }
            close_client(victim);
        }
        struct client *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->srv = s;
        c->since = mono_ms();
        c->conn = conn_new(s->d->loop, fd, FRAME_MAX_REQUEST, &handlers, c);
        if (!c->conn) {
            close(fd);
            free(c);
            continue;
        }
        conn_set_budget(c->conn, &s->budget);
        conn_set_max_send(c->conn, FRAME_MAX_RESPONSE);
        c->prev = s->tail;
        if (s->tail)
            s->tail->next = c;
        else
            s->head = c;
        s->tail = c;
        s->n_clients++;
    }
}

/* Once a second: close connections that stayed silent or half-sent a
 * request for SERVER_IDLE_MS, tell waiting CLIs the daemon is alive, and
 * put back a socket file someone removed. */
static void on_tick(struct ev_loop *loop, void *data)
{
    struct server *s = data;
    int64_t now = mono_ms();
    struct client *c = s->head;
    while (c) {
        struct client *next = c->next;
        if (!c->busy && now - c->since >= SERVER_IDLE_MS) {
            log_debug("closing an idle CLI connection");
            close_client(c);
        } else if (c->busy && now >= c->heartbeat_at) {
            static const char progress[] = "{\"progress\":true}";
            conn_send(c->conn, progress, sizeof(progress) - 1, NULL, 0);
            c->heartbeat_at = now + SERVER_HEARTBEAT_MS;
        }
        c = next;
    }
    struct stat st;
    if (s->d->listen_fd >= 0 && !s->d->exiting &&
        (stat(s->d->paths.daemon_sock, &st) < 0 || st.st_dev != s->sock_dev ||
         st.st_ino != s->sock_ino)) {
        int r = server_rebind(s->d);
        if (r < 0)
            log_warn_errno(r, "cannot bind %s again", s->d->paths.daemon_sock);
    }
    int64_t t = ev_timer_add(loop, TICK_MS, on_tick, s);
    s->tick_timer = t > 0 ? t : 0;
}

/* Creates the socket file and starts accepting on it. */
static int bind_listener(struct server *s)
{
    struct daemon *d = s->d;
    int r = paths_ensure(&d->paths);
    if (r < 0)
        return r;
    int fd = unix_listen(d->paths.daemon_sock, 0600, 1);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) == 0 && stat(d->paths.daemon_sock, &st) == 0) {
        s->sock_dev = st.st_dev;
        s->sock_ino = st.st_ino;
    }
    r = ev_io_add(d->loop, fd, EV_READ, on_accept, s);
    if (r < 0) {
        close(fd);
        return r;
    }
    d->listen_fd = fd;
    return 0;
}

int server_listen(struct daemon *d)
{
    struct server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->d = d;
    s->budget.max = SERVER_INPUT_BUDGET;
    d->server = s;
    int r = bind_listener(s);
    if (r < 0) {
        d->server = NULL;
        free(s);
        return r;
    }
    int64_t t = ev_timer_add(d->loop, TICK_MS, on_tick, s);
    s->tick_timer = t > 0 ? t : 0;
    return 0;
}

int server_rebind(struct daemon *d)
{
    struct server *s = d->server;
    if (!s)
        return -ENOTCONN;
    ev_io_close(d->loop, &d->listen_fd);
    ev_timer_cancel(d->loop, s->accept_timer);
    s->accept_timer = 0;
    int r = bind_listener(s);
    if (r < 0)
        return r;
    log_warn("%s was removed: bound it again", d->paths.daemon_sock);
    /* the supervisors' sockets went with it: a future daemon needs them */
    for (size_t i = 0; i < d->reg.n_insts; i++)
        suplink_request(d->reg.insts[i]->link, "rebind", NULL, NULL, NULL, NULL);
    return 0;
}

int server_output_pending(const struct daemon *d)
{
    if (!d->server)
        return 0;
    for (struct client *c = d->server->head; c; c = c->next)
        if (c->reply || conn_queued(c->conn) > 0)
            return 1;
    return 0;
}

void server_close(struct daemon *d)
{
    struct server *s = d->server;
    ev_io_close(d->loop, &d->listen_fd);
    if (!s)
        return;
    ev_timer_cancel(d->loop, s->tick_timer);
    ev_timer_cancel(d->loop, s->accept_timer);
    server_before_sleep(d); /* the last answers (kill) go out first */
    while (s->head) {
        struct client *c = s->head;
        unlink_client(s, c);
        conn_free(c->conn);
        free(c);
    }
    d->server = NULL;
    free(s);
}
