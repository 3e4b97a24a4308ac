/* conn.h - a framed, non-blocking connection on the event loop.
 *
 * A conn owns its socket fd. Incoming frames are delivered whole to
 * on_frame, with the descriptors that came with them (the handler owns those
 * fds and must close or keep them). Outgoing frames are queued and written
 * as the socket accepts them; the queue is bounded (CONN_MAX_QUEUED) so a
 * peer that stops reading cannot grow our memory.
 *
 * Lifetimes (libuv's uv_close): a conn fails when the peer hangs up (err 0),
 * sends a bad frame (-EPROTO, -EPROTONOSUPPORT, -EMSGSIZE), an I/O error
 * happens, its output queue overflows (-ENOBUFS) or the input budget it
 * shares with other conns is spent (-ENOBUFS). A failed conn stops reading
 * and writing at once, but on_close runs later, from the loop, never inside
 * a conn_* call made by the owner: a caller of conn_send may always touch
 * its own state afterwards. The conn is freed right after on_close returns;
 * on_close must not call conn_free. conn_free from the owner frees the conn
 * (at the end of the current handler when called inside one) and never calls
 * on_close. */
#pragma once

#include <stddef.h>

struct ev_loop;
struct conn;

#define CONN_MAX_QUEUED (64u << 20)

struct conn_handlers {
    void (*on_frame)(struct conn *c, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data);
    void (*on_close)(struct conn *c, int err, void *data);
    /* Optional: a peer announced a frame of len bytes, over the conn's
     * max_frame. The conn has stopped reading; the owner may queue a last
     * frame (an error reply) and call conn_close_after_flush. NULL: the conn
     * fails with -EMSGSIZE. Called from the loop. */
    void (*on_oversize)(struct conn *c, size_t len, void *data);
};

/* Input memory shared by a set of conns (e.g. every CLI connection of the
 * daemon): the bytes their partial frames hold beyond one read chunk each
 * (64 KiB: the owner bounds the number of conns), bounded by max. A conn
 * that would go past it fails with -ENOBUFS. Owned by the caller; it must outlive
 * the conns that use it. */
struct conn_budget {
    size_t used;
    size_t max;
};

/* Wraps fd (made non-blocking) and starts reading frames of at most
 * max_frame bytes. Returns NULL on allocation or epoll failure (fd is then
 * left open for the caller). */
struct conn *conn_new(struct ev_loop *loop, int fd, size_t max_frame, const struct conn_handlers *h,
                      void *data);

/* Makes the conn's input buffer count against budget (NULL: none). Call
 * right after conn_new. */
void conn_set_budget(struct conn *c, struct conn_budget *budget);

/* Queues one frame and, when nothing was queued before it, sends what the
 * socket takes at once; the descriptors are duplicated, the caller keeps its
 * own. Returns 0; -EMSGSIZE when this one frame is larger than max_send
 * (nothing queued, the conn goes on: the owner may send something smaller);
 * -ENOBUFS when the queue overflows (the conn has failed, on_close follows
 * from the loop); -EPIPE when the conn has already failed or is closing; or
 * another negative errno. */
int conn_send(struct conn *c, const void *payload, size_t len, const int *fds, unsigned n_fds);

/* The largest frame conn_send accepts (default: CONN_MAX_QUEUED). */
void conn_set_max_send(struct conn *c, size_t max_send);

/* Closes the connection after the queued frames are written (or the peer
 * goes away). Further input is ignored; on_close is not called. */
void conn_close_after_flush(struct conn *c);

/* Closes and frees at once, dropping anything queued. Safe in callbacks
 * (on_frame, on_oversize; not on_close). */
void conn_free(struct conn *c);

/* Bytes queued and not yet written. */
size_t conn_queued(const struct conn *c);

/* True while a frame has been partly received (a request in transit). */
int conn_receiving(const struct conn *c);
