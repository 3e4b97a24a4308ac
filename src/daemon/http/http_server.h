/* http_server.h - a small HTTP/1.1 server on the daemon's event loop: one
 * request per connection (answered with Content-Length and "Connection:
 * close"), GET, HEAD and small POSTs routed by a handler the owner gives,
 * never a blocking call.
 *
 * A handler answers in one of three ways (its return value):
 *   0             now: the server sends resp;
 *   HTTP_DEFER    later: the handler keeps resp->id and the owner calls
 *                 http_respond(server, id, ...) from a later loop callback
 *                 (an app scraped, an operation done). The id names this
 *                 connection only (ids are never reused): answering one that
 *                 closed or timed out meanwhile is a harmless -ENOENT. A
 *                 deferred answer still has HTTP_CONN_TIMEOUT_MS from accept:
 *                 past it the server answers 504 itself;
 *   HTTP_STREAM   a Server-Sent Events stream (text/event-stream, no
 *                 Content-Length, no timeout) of kind resp->stream_kind; resp's
 *                 body is its first bytes. The owner sends events to every
 *                 stream of a kind with http_stream_push.
 *
 * Limits: HTTP_MAX_CONNS connections being read or answered (a new one
 * closes the oldest that is still sending its request, or done; when every
 * one is being answered, the new one is closed and accepting waits for a
 * close), a request head of HTTP_HEAD_MAX bytes (431 past it), a POST body
 * of HTTP_POST_MAX bytes with a Content-Length (413 past it, 411 without one
 * or chunked), an answer body of HTTP_BODY_MAX bytes (500 past it),
 * HTTP_CONN_TIMEOUT_MS from accept to the last byte of the answer, then
 * HTTP_LINGER_MS to read what the client still sends before the close (so
 * the answer is not lost to a reset). Streams are counted apart: at most
 * HTTP_MAX_STREAMS (a new one past it is answered 503), each with at most
 * HTTP_STREAM_OUT_MAX bytes not yet taken by the client (a reader that slow
 * is dropped: the daemon never waits for it), and a comment line every
 * HTTP_STREAM_HEARTBEAT_MS so proxies and browsers keep them open.
 * Outside input never makes the server log: it answers 400, 404 (the
 * handler's), 405, 411, 413, 414, 431, 503 or 505, or closes the connection.
 * Every answer has "Cache-Control: no-store" and "X-Content-Type-Options:
 * nosniff".
 *
 * Ownership: the owner frees the server with http_server_free; the server
 * owns its connections and their buffers. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/strbuf.h"
#include "daemon/http/http_request.h"

#define HTTP_MAX_CONNS 64
#define HTTP_CONN_TIMEOUT_MS 5000
#define HTTP_LINGER_MS 1000
#define HTTP_BODY_MAX (32u << 20)
#define HTTP_POST_MAX 4096u
#define HTTP_MAX_STREAMS 16
#define HTTP_STREAM_OUT_MAX (256u << 10)
#define HTTP_STREAM_HEARTBEAT_MS 15000

/* What a handler returns besides 0 and a negative errno (see above). */
#define HTTP_DEFER 1
#define HTTP_STREAM 2

struct ev_loop;
struct http_server;

/* What a handler answers. The server set status 200, content_type
 * "text/plain; charset=utf-8", no extra headers, an empty body and id
 * before the call, and frees the body after it. */
struct http_response {
    int status;
    const char *content_type; /* a constant: the server does not copy it */
    const char *headers;      /* a constant: extra "Name: value\r\n" lines, or NULL */
    struct strbuf body;       /* limited to HTTP_BODY_MAX */
    uint64_t id;              /* this connection, for http_respond (HTTP_DEFER) */
    int stream_kind;          /* set by a handler returning HTTP_STREAM */
};

/* Answers req (method GET, HEAD or POST with its body in req->body: the
 * server answers other methods with 405 itself and sends no body to a
 * HEAD). Returns 0, HTTP_DEFER, HTTP_STREAM (see above), or a negative
 * errno, which becomes a 500 answer. Runs on the loop: must not block. */
typedef int (*http_handler_fn)(const struct http_request *req, struct http_response *resp,
                               void *data);

/* Binds addr (SO_REUSEADDR, non-blocking, close-on-exec), listens and
 * serves on loop, calling handler with data for each request. Returns 0
 * with *out set, or a negative errno (nothing is left behind). */
int http_server_start(struct ev_loop *loop, const struct sockaddr *addr, socklen_t addr_len,
                      http_handler_fn handler, void *data, struct http_server **out);

/* Closes the listening socket and every connection, and frees the server.
 * NULL is ignored. */
void http_server_free(struct http_server *s);

/* Answers the deferred request id (HTTP_DEFER) with status, content_type (a
 * constant) and body (NULL: empty; limited to HTTP_BODY_MAX). Call it from
 * a loop callback after the handler returned. Returns 0, or -ENOENT when
 * that connection is gone (closed, timed out, answered): nothing is sent. */
int http_respond(struct http_server *s, uint64_t id, int status, const char *content_type,
                 const struct strbuf *body);

/* Queues one event ("event: <event>" when event is not NULL, then data, one
 * "data:" line per line of it) to every open stream of kind. A stream whose
 * unsent output would pass HTTP_STREAM_OUT_MAX is closed instead. Returns
 * the number of streams it was queued to. */
size_t http_stream_push(struct http_server *s, int kind, const char *event, const char *data,
                        size_t len);

/* The number of open streams of kind. NULL server: 0. */
size_t http_stream_count(const struct http_server *s, int kind);

/* The address the server listens on (the port the kernel chose for port 0
 * too). Returns 0 or a negative errno. */
int http_server_address(const struct http_server *s, struct sockaddr_storage *addr, socklen_t *len);

/* Parses an address to serve on: "127.0.0.1:9615", "[::1]:9615", or a
 * bare port, which means 127.0.0.1 (never every address unless written
 * out). Returns 0 with *addr and *len set, or -EINVAL. */
int http_parse_address(const char *text, struct sockaddr_storage *addr, socklen_t *len);

/* The reason phrase of status ("Not Found"); "Unknown" for codes the
 * server never sends. */
const char *http_status_text(int status);
