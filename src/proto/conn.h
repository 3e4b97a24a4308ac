/* conn.h - a framed, non-blocking connection on the event loop.
 *
 * A conn owns its socket fd. Incoming frames are delivered whole to
 * on_frame, with the descriptors that came with them (the handler owns those
 * fds and must close or keep them). Outgoing frames are queued and written
 * as the socket accepts them; the queue is bounded (CONN_MAX_QUEUED) so a
 * peer that stops reading cannot grow our memory: past the bound the
 * connection is closed with -ENOBUFS.
 *
 * on_close is called once, when the peer hangs up (err 0), sends a bad frame
 * (-EPROTO, -EPROTONOSUPPORT, -EMSGSIZE) or an I/O error happens; the conn
 * is freed right after on_close returns. conn_free from the owner never
 * calls on_close. Handlers may call conn_free on their own conn. */
#pragma once

#include <stddef.h>

struct ev_loop;
struct conn;

#define CONN_MAX_QUEUED (64u << 20)

struct conn_handlers {
    void (*on_frame)(struct conn *c, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data);
    void (*on_close)(struct conn *c, int err, void *data);
};

/* Wraps fd (made non-blocking) and starts reading frames of at most
 * max_frame bytes. Returns NULL on allocation or epoll failure (fd is then
 * left open for the caller). */
struct conn *conn_new(struct ev_loop *loop, int fd, size_t max_frame, const struct conn_handlers *h,
                      void *data);

/* Queues one frame; the descriptors are duplicated, the caller keeps its
 * own. Returns 0, -ENOBUFS when the queue is full (the conn is then
 * closing), or a negative errno. */
int conn_send(struct conn *c, const void *payload, size_t len, const int *fds, unsigned n_fds);

/* Closes the connection after the queued frames are written (or the peer
 * goes away). Further input is ignored; on_close is not called. */
void conn_close_after_flush(struct conn *c);

/* Closes and frees at once, dropping anything queued. Safe in callbacks. */
void conn_free(struct conn *c);

/* Bytes queued and not yet written. */
size_t conn_queued(const struct conn *c);

