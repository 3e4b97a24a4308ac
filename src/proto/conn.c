/* conn.c - a framed, non-blocking connection on the event loop. */
#include "proto/conn.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "base/unixsock.h"
#include "loop/loop.h"
#include "proto/frame.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define READ_CHUNK 65536

struct out_frame {
    struct out_frame *next;
    size_t len, off;
    int fds[FRAME_MAX_FDS];
    unsigned n_fds;
    char bytes[]; /* header + payload */
};

struct conn {
    struct ev_loop *loop;
    int fd;
    size_t max_frame, max_send;
    struct conn_handlers h;
    void *data;
    struct conn_budget *budget;
    size_t budget_held; /* bytes of budget our input buffer holds */
    /* input */
    struct strbuf in;
    int in_fds[FRAME_MAX_FDS * 2];
    unsigned n_in_fds;
    int deaf; /* stopped reading (oversized frame announced) */
    /* output */
    struct out_frame *out_head, *out_tail;
    size_t queued;
    /* lifetime */
    int closing;         /* free once the output queue is empty */
    int failed;          /* on_close is pending (close_timer) */
    int fail_err;        /* what on_close will be told */
    int64_t close_timer; /* the deferred on_close */
    int in_handler;      /* depth of user callbacks running */
    int freed;           /* destroy when the last handler returns */
};

static void release_budget(struct conn *c)
{
    if (c->budget && c->budget_held) {
        c->budget->used -= c->budget_held;
        c->budget_held = 0;
    }
}

static void conn_destroy(struct conn *c)
{
    ev_timer_cancel(c->loop, c->close_timer);
    ev_io_del(c->loop, c->fd);
    close(c->fd);
    release_budget(c);
    strbuf_free(&c->in);
    for (unsigned i = 0; i < c->n_in_fds; i++)
        close(c->in_fds[i]);
    struct out_frame *f = c->out_head;
    while (f) {
        struct out_frame *n = f->next;
        for (unsigned i = 0; i < f->n_fds; i++)
            close(f->fds[i]);
        free(f);
        f = n;
    }
    free(c);
}

void conn_free(struct conn *c)
{
    if (!c)
        return;
    if (c->in_handler) {
        c->freed = 1;
        ev_io_mod(c->loop, c->fd, 0);
        return;
    }
    conn_destroy(c);
}

static void on_close_timer(struct ev_loop *loop, void *data)
{
    struct conn *c = data;
    (void)loop;
    c->close_timer = 0;
    if (c->freed)
        return;
    c->in_handler++;
    if (c->h.on_close)
        c->h.on_close(c, c->fail_err, c->data);
    c->in_handler--;
    conn_destroy(c);
}

/* Marks the conn failed: no more I/O; on_close runs from the loop. A conn
 * that was closing after a flush just goes away (its owner let it go). */
static void conn_fail(struct conn *c, int err)
{
    if (c->failed || c->freed)
        return;
    if (c->closing) {
        c->freed = 1;
        return;
    }
    c->failed = 1;
    c->fail_err = err;
    ev_io_del(c->loop, c->fd);
    int64_t t = ev_timer_add(c->loop, 0, on_close_timer, c);
    if (t > 0)
        c->close_timer = t;
    else
        c->freed = 1; /* no memory for a timer: close without telling */
}

static unsigned wanted_events(const struct conn *c)
{
    unsigned ev = (c->closing || c->deaf) ? 0 : EV_READ;
    if (c->out_head)
        ev |= EV_WRITE;
    return ev;
}

static void flush_output(struct conn *c)
{
    while (c->out_head) {
        struct out_frame *f = c->out_head;
        ssize_t n;
        if (f->off == 0 && f->n_fds > 0)
            n = unix_send_with_fds(c->fd, f->bytes, f->len, f->fds, f->n_fds);
        else {
            n = send(c->fd, f->bytes + f->off, f->len - f->off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0)
                n = neg_errno();
        }
        if (n < 0) {
            if (n == -EAGAIN || n == -EINTR)
                break;
            conn_fail(c, (int)n);
            return;
        }
        if (f->off == 0) {
            for (unsigned i = 0; i < f->n_fds; i++)
                close(f->fds[i]);
            f->n_fds = 0;
        }
        f->off += (size_t)n;
        if (f->off < f->len)
            break;
        c->out_head = f->next;
        if (!c->out_head)
            c->out_tail = NULL;
        c->queued -= f->len;
        free(f);
    }
    if (!c->out_head && c->closing) {
        c->freed = 1;
        return;
    }
    ev_io_mod(c->loop, c->fd, wanted_events(c));
}

/* Keeps the budget in step with the input buffer's capacity beyond its
 * first read chunk (every conn may hold that much, so a small request is
 * read even when big partial frames spent the budget). Returns 0, or
 * -ENOBUFS when the shared budget cannot cover it. */
static int account_input(struct conn *c)
{
    if (!c->budget)
        return 0;
    size_t want = c->in.cap > READ_CHUNK ? c->in.cap - READ_CHUNK : 0;
    if (want > c->budget_held && c->budget->used + (want - c->budget_held) > c->budget->max)
        return -ENOBUFS;
    c->budget->used = c->budget->used - c->budget_held + want;
    c->budget_held = want;
    return 0;
}

/* Delivers every complete frame in the input buffer. */
static void deliver_frames(struct conn *c)
{
    while (!c->freed && !c->failed && !c->closing && !c->deaf && c->in.len >= FRAME_HEADER_LEN) {
        size_t plen;
        unsigned want;
        int r = frame_header_decode((const uint8_t *)c->in.buf, c->max_frame, &plen, &want);
        if (r == -EMSGSIZE && c->h.on_oversize && want <= FRAME_MAX_FDS) {
            c->deaf = 1;
            ev_io_mod(c->loop, c->fd, wanted_events(c));
            c->h.on_oversize(c, plen, c->data);
            return;
        }
        if (r < 0) {
            conn_fail(c, r);
            return;
        }
        if (c->in.len < FRAME_HEADER_LEN + plen)
            return;
        if (c->n_in_fds < want) {
            conn_fail(c, -EPROTO);
            return;
        }
        char *payload = malloc(plen + 1);
        if (!payload) {
            conn_fail(c, -ENOMEM);
            return;
        }
        memcpy(payload, c->in.buf + FRAME_HEADER_LEN, plen);
        payload[plen] = '\0';
        strbuf_consume(&c->in, FRAME_HEADER_LEN + plen);
        if (c->in.len == 0 && c->in.cap > 4 * READ_CHUNK) {
            /* a big frame is done: give its memory back */
            strbuf_free(&c->in);
            account_input(c);
        }
        int fds[FRAME_MAX_FDS];
        memcpy(fds, c->in_fds, want * sizeof(int));
        memmove(c->in_fds, c->in_fds + want, (c->n_in_fds - want) * sizeof(int));
        c->n_in_fds -= want;
        c->h.on_frame(c, payload, plen, fds, want, c->data);
        free(payload);
    }
}

static void read_input(struct conn *c)
{
    /* bounded work per wakeup so one chatty peer cannot starve the loop */
    for (int rounds = 0; rounds < 16 && !c->freed && !c->failed && !c->closing && !c->deaf;
         rounds++) {
        if (strbuf_reserve(&c->in, READ_CHUNK) < 0) {
            conn_fail(c, -EMSGSIZE);
            return;
        }
        if (account_input(c) < 0) {
            conn_fail(c, -ENOBUFS);
            return;
        }
        int fds[FRAME_MAX_FDS];
        size_t nfds = 0;
        ssize_t n = unix_recv_with_fds(c->fd, c->in.buf + c->in.len, READ_CHUNK, fds,
                                       ARRAY_SIZE(fds), &nfds);
        for (size_t i = 0; i < nfds; i++) {
            if (c->n_in_fds < ARRAY_SIZE(c->in_fds))
                c->in_fds[c->n_in_fds++] = fds[i];
            else
                close(fds[i]);
        }
        if (n < 0) {
            if (n == -EAGAIN || n == -EINTR)
                return;
            conn_fail(c, (int)n);
            return;
        }
        if (n == 0) {
            conn_fail(c, 0);
            return;
        }
        c->in.len += (size_t)n;
        c->in.buf[c->in.len] = '\0';
        deliver_frames(c);
        if ((size_t)n < READ_CHUNK)
            return;
    }
}

static void on_io(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    (void)fd;
    struct conn *c = data;
    c->in_handler++;
    if ((events & EV_WRITE) && !c->freed && !c->failed)
        flush_output(c);
    if ((events & EV_READ) && !c->freed && !c->failed && !c->closing && !c->deaf)
        read_input(c);
    if ((events & EV_ERROR) && !c->freed && !c->failed &&
        (c->closing || c->deaf || !(events & EV_READ)))
        conn_fail(c, -ECONNRESET);
    c->in_handler--;
    if (c->freed && c->in_handler == 0)
        conn_destroy(c);
}

struct conn *conn_new(struct ev_loop *loop, int fd, size_t max_frame, const struct conn_handlers *h,
                      void *data)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->loop = loop;
    c->fd = fd;
    c->max_frame = max_frame;
    c->max_send = CONN_MAX_QUEUED;
    c->h = *h;
    c->data = data;
    c->in.limit = FRAME_HEADER_LEN + max_frame + READ_CHUNK;
    if (fd_set_nonblock(fd, 1) < 0 || ev_io_add(loop, fd, EV_READ, on_io, c) < 0) {
        free(c);
        return NULL;
    }
    return c;
}

void conn_set_budget(struct conn *c, struct conn_budget *budget)
{
    release_budget(c);
    c->budget = budget;
    account_input(c);
}

void conn_set_max_send(struct conn *c, size_t max_send)
{
    c->max_send = max_send;
}

int conn_send(struct conn *c, const void *payload, size_t len, const int *fds, unsigned n_fds)
{
    if (c->freed || c->failed || c->closing)
        return -EPIPE;
    if (len > UINT32_MAX || n_fds > FRAME_MAX_FDS || len > c->max_send)
        return -EMSGSIZE;
    if (c->queued + len + FRAME_HEADER_LEN > CONN_MAX_QUEUED) {
        conn_fail(c, -ENOBUFS);
        return -ENOBUFS;
    }
    struct out_frame *f = malloc(sizeof(*f) + FRAME_HEADER_LEN + len);
    if (!f)
        return -ENOMEM;
    f->next = NULL;
    f->len = FRAME_HEADER_LEN + len;
    f->off = 0;
    f->n_fds = 0;
    for (unsigned i = 0; i < n_fds; i++) {
        int d = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (d < 0) {
            int r = neg_errno();
            for (unsigned j = 0; j < f->n_fds; j++)
                close(f->fds[j]);
            free(f);
            return r;
        }
        f->fds[f->n_fds++] = d;
    }
    frame_header_encode((uint8_t *)f->bytes, len, n_fds);
    memcpy(f->bytes + FRAME_HEADER_LEN, payload, len);
    if (c->out_tail)
        c->out_tail->next = f;
    else
        c->out_head = f;
    c->out_tail = f;
    c->queued += f->len;
    /* nothing queued before it: send now rather than after the loop's
     * next wait (a daemon busy spawning 1,000 supervisors in one turn must
     * not hold back the spec each one waits for); a failure is reported
     * from the loop, never from here */
    if (c->out_head == f)
        flush_output(c);
    else
        ev_io_mod(c->loop, c->fd, wanted_events(c));
    return 0;
}

void conn_close_after_flush(struct conn *c)
{
    if (c->freed || c->failed)
        return;
    c->closing = 1;
    if (!c->out_head) {
        conn_free(c);
        return;
    }
    ev_io_mod(c->loop, c->fd, wanted_events(c));
}

size_t conn_queued(const struct conn *c)
{
    return c->queued;
}

int conn_receiving(const struct conn *c)
{
    return c->in.len > 0;
}
