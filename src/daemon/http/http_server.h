/* http_server.h - a small HTTP/1.1 server on the daemon's event loop: one
 * request per connection (answered with Content-Length and "Connection:
 * close"), GET and HEAD routed by a handler the owner gives, never a
 * blocking call.
 *
 * Limits: HTTP_MAX_CONNS connections (a new one closes the oldest that is
 * still sending its request, or done; when every one is being answered,
 * the new one is closed and accepting waits for a close), a request head
 * of HTTP_HEAD_MAX bytes (431 past it), a body of HTTP_BODY_MAX bytes (500
 * past it), HTTP_CONN_TIMEOUT_MS from accept to the last byte of the
 * answer, then HTTP_LINGER_MS to read what the client still sends before
 * the close (so the answer is not lost to a reset).
 * Outside input never makes the server log: it answers 400, 404 (the
 * handler's), 405, 414, 431 or 505, or closes the connection.
 *
 * Ownership: the owner frees the server with http_server_free; the server
 * owns its connections and their buffers. */
#pragma once

#include <sys/socket.h>

#include "base/strbuf.h"
#include "daemon/http/http_request.h"

#define HTTP_MAX_CONNS 64
#define HTTP_CONN_TIMEOUT_MS 5000
#define HTTP_LINGER_MS 1000
#define HTTP_BODY_MAX (32u << 20)

struct ev_loop;
struct http_server;

/* What a handler answers. The server set status 200, content_type
 * "text/plain; charset=utf-8", no Allow header and an empty body before
 * the call, and frees the body after it. */
struct http_response {
    int status;
    const char *content_type; /* a constant: the server does not copy it */
    struct strbuf body;       /* limited to HTTP_BODY_MAX */
};

/* Answers req (method GET or HEAD: the server answers other methods with
 * 405 itself and sends no body to a HEAD). Returns 0, or a negative errno,
 * which becomes a 500 answer. Runs on the loop: must not block. */
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

/* Parses an address to serve on: "127.0.0.1:9615", "[::1]:9615", or a
 * bare port, which means 127.0.0.1 (never every address unless written
 * out). Returns 0 with *addr and *len set, or -EINVAL. */
int http_parse_address(const char *text, struct sockaddr_storage *addr, socklen_t *len);

/* The reason phrase of status ("Not Found"); "Unknown" for codes the
 * server never sends. */
const char *http_status_text(int status);
