/* http_request.h - the head of an HTTP/1.x request, parsed: what the
 * daemon's HTTP server (http_server.h) needs to route a GET, a HEAD or a
 * small POST, and nothing more (no chunking, no keep-alive): the method, the
 * path, and the two headers it reads (Content-Length, Authorization). Pure:
 * no I/O, no allocation, so the parser is unit-tested and fuzzable as it is.
 *
 * Accepted: "METHOD SP origin-form SP HTTP/1.x" then header lines
 * "name: value", each line ending in CRLF (a bare LF is tolerated), the
 * head ending in an empty line. The query string is cut from the path.
 * Content-Length must be digits (a repeated one must agree), else the head
 * is malformed. */
#pragma once

#include <stddef.h>

#define HTTP_HEAD_MAX 8192 /* bytes of request line and headers together */
#define HTTP_METHOD_MAX 16 /* "OPTIONS" fits, longer tokens are refused */
#define HTTP_PATH_MAX 1024 /* the path, without its query string */
#define HTTP_AUTH_MAX 256  /* an Authorization value kept whole; longer ones are cut */

struct http_request {
    char method[HTTP_METHOD_MAX];
    char path[HTTP_PATH_MAX];          /* still percent-encoded; see http_path_decode */
    int version_minor;                 /* HTTP/1.<minor> */
    long long content_length;          /* -1 without the header */
    int chunked;                       /* a Transfer-Encoding header was sent (never accepted) */
    int auth_too_long;                 /* the Authorization value did not fit (never a match) */
    char authorization[HTTP_AUTH_MAX]; /* its value, trimmed, "" without it */
    const char *body;                  /* set by the server (POST), else NULL */
    size_t body_len;
};

/* Parses the request head at the start of buf (len bytes, not necessarily
 * NUL-terminated). Returns the length of the head (the blank line
 * included) when it is complete and well formed, 0 when more bytes are
 * needed, -EBADMSG for a malformed head, -ENAMETOOLONG for a path over
 * HTTP_PATH_MAX - 1 bytes, -EPROTONOSUPPORT for a version other than 1.x.
 * Bytes past the head are not looked at. */
int http_request_parse(const char *buf, size_t len, struct http_request *req);

/* Decodes %XX escapes of one path segment src into out (len bytes, NUL
 * included). Returns 0, or -EINVAL for a bad escape, a control byte or '/',
 * or a segment that does not fit. */
int http_path_decode(const char *src, char *out, size_t len);
