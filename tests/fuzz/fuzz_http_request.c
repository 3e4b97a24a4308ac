/* fuzz_http_request.c - the head of an HTTP request as the daemon's HTTP
 * server reads it (daemon/http/http_request.h), and the decoding of a
 * /readyz/<app> path segment. The parser must never read past the bytes it
 * is given, must answer "more" for every prefix of a complete head, must return a head length
 * within them, and fill a method and a path that hold what the header promises; a decoded segment
 * holds no
 * '/' and no control byte. Input: raw bytes (the head; NUL bytes too). */
#include "fuzz.h"

#include "daemon/http/http_request.h"

#include <errno.h>

static void check_request(const struct http_request *req, const char *what)
{
    size_t m = strnlen(req->method, sizeof(req->method));
    size_t p = strnlen(req->path, sizeof(req->path));
    FUZZ_CHECK(m > 0 && m < sizeof(req->method), "%s: method of %zu bytes", what, m);
    FUZZ_CHECK(p > 0 && p < sizeof(req->path) && req->path[0] == '/' && !strchr(req->path, '?'),
               "%s: path '%.*s'", what, (int)p, req->path);
    FUZZ_CHECK(req->version_minor >= 0 && req->version_minor <= 9, "%s: HTTP/1.%d", what,
               req->version_minor);
}

static void check_decode(const char *segment)
{
    char out[64];
    int r = http_path_decode(segment, out, sizeof(out));
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL, "decode returned %d", r);
        return;
    }
    size_t n = strnlen(out, sizeof(out));
    FUZZ_CHECK(n < sizeof(out), "decoded segment not terminated");
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(out[i] != '/' && (unsigned char)out[i] >= 0x20 && out[i] != 0x7f,
                   "decoded byte 0x%02x", (unsigned char)out[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > HTTP_HEAD_MAX)
        return 0;
    /* an exact-size copy: reading past it is an ASan error */
    char *buf = malloc(size ? size : 1);
    FUZZ_CHECK(buf, "out of memory");
    memcpy(buf, data, size);
    struct http_request req;
    int whole = http_request_parse(buf, size, &req);
    FUZZ_CHECK(whole >= 0
                   ? (size_t)whole <= size
                   : whole == -EBADMSG || whole == -ENAMETOOLONG || whole == -EPROTONOSUPPORT,
               "returned %d for %zu bytes", whole, size);
    if (whole > 0) {
        check_request(&req, "whole input");
        struct http_request again;
        FUZZ_CHECK(http_request_parse(buf, (size_t)whole, &again) == whole,
                   "the head alone parses differently");
        FUZZ_CHECK(!strcmp(req.method, again.method) && !strcmp(req.path, again.path),
                   "the head alone gives another request");
        for (size_t n = 0; n < (size_t)whole; n++) {
            int r = http_request_parse(buf, n, &again);
            FUZZ_CHECK(r == 0, "a prefix of %zu bytes of a %d-byte head returned %d", n, whole, r);
        }
        check_decode(req.path + 1);
    }
    free(buf);
    char *text = fuzz_strndup(data, size);
    check_decode(text);
    free(text);
    return 0;
}
