/* http_server.c - HTTP/1.1 on the daemon's loop, one request per
 * connection (http_server.h). A connection reads its request head (and a
 * POST's body) into a fixed buffer, gets its whole answer queued at once
 * (now, or from http_respond when deferred), writes it as the socket takes
 * it, then lingers until the client closes. A stream leaves the connection
 * table for the stream table and gets events queued until the client goes
 * or falls too far behind. A connection is closed only at the end of its
 * own callbacks (or by the accept callback, to make room, or by a push that
 * drops a slow stream), never inside a call that still uses it. */
#include "daemon/http/http_server.h"
#include "base/macros.h"
#include "config/listen_addr.h"
#include "loop/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_LISTEN_BACKLOG 128
#define ACCEPT_PAUSE_MS 100

enum conn_state { CONN_READING, CONN_DEFERRED, CONN_WRITING, CONN_LINGERING, CONN_STREAMING };

struct http_conn {
    struct http_server *srv;
    int fd;
    enum conn_state state;
    int head_only;   /* DEFERRED: the request was a HEAD */
    int stream_kind; /* STREAMING */
    uint64_t id;     /* never reused: http_respond's handle */
    int64_t timer;
    struct strbuf out; /* the whole answer; a stream's unsent events */
    size_t out_sent;
    size_t in_len;
    char in[HTTP_HEAD_MAX + HTTP_POST_MAX];
};

struct http_server {
    struct ev_loop *loop;
    int listen_fd;
    int accepting;        /* the listening fd is watched for EV_READ */
    int64_t accept_timer; /* resumes accepting after EMFILE */
    http_handler_fn handler;
    void *data;
    struct http_conn *conns[HTTP_MAX_CONNS]; /* oldest first */
    size_t n_conns;
    struct http_conn *streams[HTTP_MAX_STREAMS]; /* oldest first */
    size_t n_streams;
    int64_t beat_timer; /* the streams' heartbeat, while there are streams */
    uint64_t next_id;
};

const char *http_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

static void set_accepting(struct http_server *s, int on)
{
    if (s->accepting != on && ev_io_mod(s->loop, s->listen_fd, on ? EV_READ : 0) == 0)
        s->accepting = on;
}

/* Removes c from table (n entries). */
static void table_remove(struct http_conn **table, size_t *n, struct http_conn *c)
{
    size_t i = 0;
    while (i < *n && table[i] != c)
        i++;
    if (i < *n)
        memmove(&table[i], &table[i + 1], (--*n - i) * sizeof(table[0]));
}

static void conn_close(struct http_conn *c)
{
    struct http_server *s = c->srv;
    if (c->state == CONN_STREAMING)
        table_remove(s->streams, &s->n_streams, c);
    else
        table_remove(s->conns, &s->n_conns, c);
    ev_timer_cancel(s->loop, c->timer);
    ev_io_close(s->loop, &c->fd);
    strbuf_free(&c->out);
    free(c);
    if (!s->accept_timer)
        set_accepting(s, 1);
}

static int conn_answer_status(struct http_conn *c, int head_only, int status,
                              const char *extra_header);

static void on_conn_timeout(struct ev_loop *loop, void *data)
{
    struct http_conn *c = data;
    c->timer = 0;
    if (c->state != CONN_DEFERRED) {
        conn_close(c);
        return;
    }
    /* the owner did not answer in time: say so, with a short time to write it */
    c->timer = ev_timer_add(loop, HTTP_LINGER_MS, on_conn_timeout, c);
    if (c->timer < 0) {
        c->timer = 0;
        conn_close(c);
        return;
    }
    conn_answer_status(c, c->head_only, 504, NULL);
}

/* The answer is out: stop sending, and read until the client closes (or
 * HTTP_LINGER_MS), so unread input does not turn the close into a reset
 * that could destroy the answer in flight. Returns 0, or -1 when c was
 * closed. */
static int conn_linger(struct http_conn *c)
{
    struct http_server *s = c->srv;
    c->state = CONN_LINGERING;
    strbuf_free(&c->out);
    ev_timer_cancel(s->loop, c->timer);
    c->timer = ev_timer_add(s->loop, HTTP_LINGER_MS, on_conn_timeout, c);
    if (c->timer < 0)
        c->timer = 0;
    if (!c->timer || shutdown(c->fd, SHUT_WR) < 0 || ev_io_mod(s->loop, c->fd, EV_READ) < 0) {
        conn_close(c);
        return -1;
    }
    return 0;
}

/* Writes what the socket takes. Returns 0, or -1 when c was closed. A
 * stream keeps reading (to see the client go) and writing while it has
 * output; another connection lingers once its answer is out. */
static int conn_flush(struct http_conn *c)
{
    while (c->out_sent < c->out.len) {
        ssize_t n = send(c->fd, c->out.buf + c->out_sent, c->out.len - c->out_sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) {
            conn_close(c);
            return -1;
        }
        c->out_sent += (size_t)n;
    }
    if (c->state != CONN_STREAMING)
        return conn_linger(c);
    strbuf_reset(&c->out);
    c->out_sent = 0;
    if (ev_io_mod(c->srv->loop, c->fd, EV_READ) < 0) {
        conn_close(c);
        return -1;
    }
    return 0;
}

/* Queues the whole answer (head, and body unless HEAD) and starts writing.
 * Returns 0, or -1 when c was closed. */
static int conn_answer(struct http_conn *c, int head_only, int status, const char *content_type,
                       const char *extra_header, const struct strbuf *body)
{
    struct http_server *s = c->srv;
    size_t len = body ? body->len : 0;
    c->out.limit = HTTP_BODY_MAX + 4096;
    int r = strbuf_printf(&c->out,
                          "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                          "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                          "%sConnection: close\r\n\r\n",
                          status, http_status_text(status), content_type, len,
                          extra_header ? extra_header : "");
    if (r == 0 && !head_only && len)
        r = strbuf_append(&c->out, body->buf, body->len);
    if (r < 0 || ev_io_mod(s->loop, c->fd, EV_WRITE) < 0) {
        conn_close(c);
        return -1;
    }
    c->state = CONN_WRITING;
    return conn_flush(c);
}

/* An answer the server makes itself: the status and its phrase. */
static int conn_answer_status(struct http_conn *c, int head_only, int status,
                              const char *extra_header)
{
    struct strbuf body = STRBUF_INIT;
    int r = strbuf_printf(&body, "%s\n", http_status_text(status));
    if (r < 0) {
        conn_close(c);
        return -1;
    }
    r = conn_answer(c, head_only, status, "text/plain; charset=utf-8", extra_header, &body);
    strbuf_free(&body);
    return r;
}

static void on_beat(struct ev_loop *loop, void *data);

static void beat_arm(struct http_server *s)
{
    if (s->beat_timer || !s->n_streams)
        return;
    int64_t t = ev_timer_add(s->loop, HTTP_STREAM_HEARTBEAT_MS, on_beat, s);
    s->beat_timer = t > 0 ? t : 0;
}

/* Queues len bytes to stream c. Returns 0, or -1 when c was closed (too
 * far behind, or out of memory). */
static int stream_queue(struct http_conn *c, const char *data, size_t len)
{
    if (c->out_sent) {
        strbuf_consume(&c->out, c->out_sent);
        c->out_sent = 0;
    }
    int was_idle = c->out.len == 0;
    if (c->out.len + len > HTTP_STREAM_OUT_MAX || strbuf_append(&c->out, data, len) < 0) {
        conn_close(c);
        return -1;
    }
    if (was_idle && len && ev_io_mod(c->srv->loop, c->fd, EV_READ | EV_WRITE) < 0) {
        conn_close(c);
        return -1;
    }
    return 0;
}

static void on_beat(struct ev_loop *loop, void *data)
{
    struct http_server *s = data;
    (void)loop;
    s->beat_timer = 0;
    static const char beat[] = ":\n\n"; /* a comment: EventSource ignores it */
    for (size_t i = s->n_streams; i-- > 0;)
        stream_queue(s->streams[i], beat, sizeof(beat) - 1);
    beat_arm(s);
}

/* Turns c into a stream of kind with first as its first bytes. Returns 0,
 * or -1 when c was closed. */
static int conn_stream(struct http_conn *c, int kind, const struct strbuf *first)
{
    struct http_server *s = c->srv;
    if (s->n_streams >= HTTP_MAX_STREAMS)
        return conn_answer_status(c, 0, 503, "Retry-After: 10\r\n");
    table_remove(s->conns, &s->n_conns, c);
    s->streams[s->n_streams++] = c;
    c->state = CONN_STREAMING;
    c->stream_kind = kind;
    ev_timer_cancel(s->loop, c->timer);
    c->timer = 0;
    if (!s->accept_timer)
        set_accepting(s, 1); /* a connection slot was freed */
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                               "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                               "Connection: close\r\n\r\n";
    if (stream_queue(c, head, sizeof(head) - 1) < 0 ||
        (first->len && stream_queue(c, first->buf, first->len) < 0))
        return -1;
    beat_arm(s);
    return conn_flush(c);
}

static int conn_dispatch(struct http_conn *c, const struct http_request *req)
{
    struct http_server *s = c->srv;
    int head_only = !strcmp(req->method, "HEAD");
    if (!head_only && strcmp(req->method, "GET") && strcmp(req->method, "POST"))
        return conn_answer_status(c, 0, 405, "Allow: GET, HEAD, POST\r\n");
    struct http_response resp = {200, "text/plain; charset=utf-8", NULL, STRBUF_INIT, c->id, 0};
    resp.body.limit = HTTP_BODY_MAX;
    int r = s->handler(req, &resp, s->data);
    if (r < 0) {
        r = conn_answer_status(c, head_only, 500, NULL);
    } else if (r == HTTP_DEFER) {
        /* still read, to see the client leave (what it sends is dropped) */
        c->state = CONN_DEFERRED;
        c->head_only = head_only;
        r = 0;
    } else if (r == HTTP_STREAM && !head_only) {
        r = conn_stream(c, resp.stream_kind, &resp.body);
    } else if (r == HTTP_STREAM) {
        r = conn_answer(c, 1, 200, "text/event-stream", resp.headers, NULL);
    } else {
        r = conn_answer(c, head_only, resp.status, resp.content_type, resp.headers, &resp.body);
    }
    strbuf_free(&resp.body);
    return r;
}

/* A complete head of head_len bytes: dispatches it once a POST's body is
 * in too. */
static void conn_got_head(struct http_conn *c, struct http_request *req, size_t head_len)
{
    if (head_len > HTTP_HEAD_MAX) {
        conn_answer_status(c, 0, 431, NULL);
        return;
    }
    if (!strcmp(req->method, "POST")) {
        if (req->chunked || req->content_length < 0) {
            conn_answer_status(c, 0, 411, NULL);
            return;
        }
        if (req->content_length > (long long)HTTP_POST_MAX) {
            conn_answer_status(c, 0, 413, NULL);
            return;
        }
        if (c->in_len < head_len + (size_t)req->content_length)
            return; /* more to come */
        req->body = c->in + head_len;
        req->body_len = (size_t)req->content_length;
    }
    conn_dispatch(c, req);
}

/* Reads more of the request head; answers once it is complete or wrong. */
static void conn_read_head(struct http_conn *c)
{
    ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    c->in_len += (size_t)n;
    struct http_request req;
    int r = http_request_parse(c->in, c->in_len, &req);
    if (r > 0)
        conn_got_head(c, &req, (size_t)r);
    else if (r == 0 && c->in_len >= HTTP_HEAD_MAX)
        conn_answer_status(c, 0, 431, NULL);
    else if (r == -ENAMETOOLONG)
        conn_answer_status(c, 0, 414, NULL);
    else if (r == -EPROTONOSUPPORT)
        conn_answer_status(c, 0, 505, NULL);
    else if (r < 0)
        conn_answer_status(c, 0, 400, NULL);
}

/* Reads and drops what a client sends after its request. Returns 0, or -1
 * when the client closed (c was closed). */
static int conn_drain_input(struct http_conn *c)
{
    char sink[4096];
    ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (n <= 0) {
        conn_close(c);
        return -1;
    }
    return 0;
}

static void on_conn_io(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct http_conn *c = data;
    (void)loop;
    (void)fd;
    switch (c->state) {
    case CONN_READING:
        conn_read_head(c);
        break;
    case CONN_DEFERRED:
        if (events & (EV_READ | EV_ERROR))
            conn_drain_input(c); /* a close: the client left before its answer */
        break;
    case CONN_STREAMING:
        /* what the client sends is dropped; its close ends the stream */
        if ((events & (EV_READ | EV_ERROR)) && conn_drain_input(c) < 0)
            break;
        if (events & EV_WRITE)
            conn_flush(c);
        break;
    case CONN_WRITING:
        conn_flush(c);
        break;
    case CONN_LINGERING:
        if (events & (EV_READ | EV_ERROR))
            conn_drain_input(c);
        break;
    }
}

/* The oldest connection still sending its request, or done, or NULL. */
static struct http_conn *oldest_reading(struct http_server *s)
{
    for (size_t i = 0; i < s->n_conns; i++)
        if (s->conns[i]->state == CONN_READING || s->conns[i]->state == CONN_LINGERING)
            return s->conns[i];
    return NULL;
}

static void on_accept_resume(struct ev_loop *loop, void *data)
{
    struct http_server *s = data;
    (void)loop;
    s->accept_timer = 0;
    set_accepting(s, 1);
}

static void add_conn(struct http_server *s, int fd)
{
    struct http_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->srv = s;
    c->fd = fd;
    c->id = ++s->next_id;
    c->timer = ev_timer_add(s->loop, HTTP_CONN_TIMEOUT_MS, on_conn_timeout, c);
    if (c->timer < 0 || ev_io_add(s->loop, fd, EV_READ, on_conn_io, c) < 0) {
        ev_timer_cancel(s->loop, c->timer);
        close(fd);
        free(c);
        return;
    }
    s->conns[s->n_conns++] = c;
}

static void on_accept(struct ev_loop *loop, int lfd, unsigned events, void *data)
{
    struct http_server *s = data;
    (void)events;
    for (int n = 0; n < HTTP_MAX_CONNS; n++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                set_accepting(s, 0);
                int64_t t = ev_timer_add(loop, ACCEPT_PAUSE_MS, on_accept_resume, s);
                s->accept_timer = t > 0 ? t : 0;
                if (!s->accept_timer)
                    set_accepting(s, 1);
            }
            return;
        }
        if (s->n_conns >= HTTP_MAX_CONNS) {
            struct http_conn *victim = oldest_reading(s);
            if (!victim) {
                close(fd);
                set_accepting(s, 0); /* every one is being answered: resumed by a close */
                return;
            }
            conn_close(victim);
        }
        add_conn(s, fd);
    }
}

int http_parse_address(const char *text, struct sockaddr_storage *addr, socklen_t *len)
{
    struct listen_addr a;
    int r = listen_addr_parse(text, &a);
    if (r < 0)
        return r;
    if (a.family == AF_UNSPEC) {
        a.family = AF_INET;
        strcpy(a.host, "127.0.0.1");
    }
    *len = listen_addr_to_sockaddr(&a, 0, addr);
    return 0;
}

int http_server_start(struct ev_loop *loop, const struct sockaddr *addr, socklen_t addr_len,
                      http_handler_fn handler, void *data, struct http_server **out)
{
    _cleanup_close_ int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return neg_errno();
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, addr, addr_len) < 0 || listen(fd, HTTP_LISTEN_BACKLOG) < 0)
        return neg_errno();
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    *s = (struct http_server){
        .loop = loop, .listen_fd = fd, .accepting = 1, .handler = handler, .data = data};
    int r = ev_io_add(loop, fd, EV_READ, on_accept, s);
    if (r < 0) {
        free(s);
        return r;
    }
    TAKE_FD(fd);
    *out = s;
    return 0;
}

void http_server_free(struct http_server *s)
{
    if (!s)
        return;
    int64_t resume = s->accept_timer;
    s->accept_timer = -1; /* the closes below must not resume accepting */
    while (s->n_conns > 0)
        conn_close(s->conns[0]);
    while (s->n_streams > 0)
        conn_close(s->streams[0]);
    ev_timer_cancel(s->loop, s->beat_timer);
    ev_timer_cancel(s->loop, resume);
    ev_io_close(s->loop, &s->listen_fd);
    free(s);
}

int http_respond(struct http_server *s, uint64_t id, int status, const char *content_type,
                 const struct strbuf *body)
{
    for (size_t i = 0; s && i < s->n_conns; i++) {
        struct http_conn *c = s->conns[i];
        if (c->id != id)
            continue;
        if (c->state != CONN_DEFERRED)
            return -ENOENT;
        conn_answer(c, c->head_only, status, content_type, NULL, body);
        return 0;
    }
    return -ENOENT;
}

size_t http_stream_push(struct http_server *s, int kind, const char *event, const char *data,
                        size_t len)
{
    if (!s || !s->n_streams)
        return 0;
    struct strbuf ev = STRBUF_INIT;
    ev.limit = HTTP_STREAM_OUT_MAX + 4096;
    int r = event ? strbuf_printf(&ev, "event: %s\n", event) : 0;
    const char *p = data, *end = data + len;
    while (r == 0 && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        r = strbuf_puts(&ev, "data: ");
        if (r == 0)
            r = strbuf_append(&ev, p, n);
        if (r == 0)
            r = strbuf_putc(&ev, '\n');
        p += n + (nl ? 1 : 0);
    }
    if (r == 0)
        r = strbuf_putc(&ev, '\n');
    size_t sent = 0;
    for (size_t i = s->n_streams; r == 0 && i-- > 0;) {
        struct http_conn *c = s->streams[i];
        if (c->stream_kind == kind && stream_queue(c, ev.buf, ev.len) == 0)
            sent++;
    }
    strbuf_free(&ev);
    return sent;
}

size_t http_stream_count(const struct http_server *s, int kind)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n_streams; i++)
        n += s->streams[i]->stream_kind == kind;
    return n;
}

int http_server_address(const struct http_server *s, struct sockaddr_storage *addr, socklen_t *len)
{
    *len = sizeof(*addr);
    return getsockname(s->listen_fd, (struct sockaddr *)addr, len) < 0 ? neg_errno() : 0;
}
