/* server.c - the daemon's control socket and CLI connections. */
#include "daemon/server.h"
#include "base/log.h"
#include "base/unixsock.h"
#include "daemon/commands.h"
#include "daemon/ops.h"
#include "daemon/reload.h"
#include "loop/loop.h"
#include "proto/conn.h"
#include "proto/frame.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 256

struct client {
    struct daemon *d;
    struct conn *conn;
    int busy;
};

static struct client *clients[MAX_CLIENTS];

static void drop_client(struct client *c)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i] == c)
            clients[i] = NULL;
    ops_client_gone(c->d, c);
    reload_client_gone(c->d, c);
    free(c);
}

void server_reply(struct client *c, json_t *reply)
{
    if (!c) {
        json_decref(reply);
        return;
    }
    /* what a CLI hears about is on disk first: a daemon killed right
     * after answering still knows it */
    daemon_persist_flush(c->d);
    if (!json_object_get(reply, "ok"))
        json_object_set_new(reply, "ok", json_true());
    char *text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (!text) {
        log_error("cannot encode a reply");
        return;
    }
    if (conn_send(c->conn, text, strlen(text), NULL, 0) < 0)
        log_debug("reply to a CLI that went away");
    free(text);
    c->busy = 0;
}

void server_reply_error(struct client *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    server_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

static void on_frame(struct conn *conn, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data)
{
    struct client *c = data;
    for (unsigned i = 0; i < n_fds; i++)
        close(fds[i]);
    if (c->busy) {
        server_reply_error(c, "one request at a time");
        conn_close_after_flush(conn);
        drop_client(c);
        return;
    }
    json_error_t jerr;
    json_t *req = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *cmd = req ? json_string_value(json_object_get(req, "cmd")) : NULL;
    if (!req || !json_is_object(req) || !cmd) {
        log_warn("malformed request from a client: %s", req ? "no cmd" : jerr.text);
        server_reply_error(c, "malformed request: %s", req ? "missing \"cmd\"" : jerr.text);
        json_decref(req);
        conn_close_after_flush(conn);
        drop_client(c);
        return;
    }
    command_fn fn = command_lookup(cmd);
    c->busy = 1;
    if (!fn)
        server_reply_error(c, "unknown command '%s'", cmd);
    else if (c->d->exiting || c->d->shutting_down)
        server_reply_error(c, "the daemon is shutting down");
    else
        fn(c->d, c, req);
    json_decref(req);
}

static void on_close(struct conn *conn, int err, void *data)
{
    struct client *c = data;
    (void)conn;
    if (err == -EMSGSIZE || err == -EPROTO || err == -EPROTONOSUPPORT) {
        log_warn_errno(err, "rejected a client message");
        /* the connection is gone; nothing else is affected */
    }
    drop_client(c);
}

static const struct conn_handlers handlers = {on_frame, on_close};

static void on_accept(struct ev_loop *loop, int lfd, unsigned events, void *data)
{
    struct daemon *d = data;
    (void)loop;
    (void)events;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        if (unix_check_peer(fd, NULL) < 0) {
            log_warn("refused a control connection from another user");
            close(fd);
            continue;
        }
        int slot = -1;
        for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
            if (!clients[i])
                slot = i;
        struct client *c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
        if (!c) {
            close(fd);
            continue;
        }
        c->d = d;
        c->conn = conn_new(d->loop, fd, FRAME_MAX_REQUEST, &handlers, c);
        if (!c->conn) {
            close(fd);
            free(c);
            continue;
        }
        clients[slot] = c;
    }
}

int server_listen(struct daemon *d)
{
    int fd = unix_listen(d->paths.daemon_sock, 0600, 1);
    if (fd < 0)
        return fd;
    int r = ev_io_add(d->loop, fd, EV_READ, on_accept, d);
    if (r < 0) {
        close(fd);
        return r;
    }
    d->listen_fd = fd;
    return 0;
}

int server_output_pending(const struct daemon *d)
{
    (void)d;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i] && conn_queued(clients[i]->conn) > 0)
            return 1;
    return 0;
}

void server_close(struct daemon *d)
{
    ev_io_close(d->loop, &d->listen_fd);
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i]) {
            conn_free(clients[i]->conn);
            free(clients[i]);
            clients[i] = NULL;
        }
    }
}
