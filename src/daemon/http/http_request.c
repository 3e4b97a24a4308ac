/* http_request.c - parsing an HTTP/1.x request head (http_request.h). */
#include "daemon/http/http_request.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 tchar: what a method or a header name is made of. */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Finds the end of the line starting at p (before end): the index of its
 * LF, or -1 when the line is not complete. */
static long line_end(const char *p, const char *end)
{
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    return lf ? lf - p : -1;
}

/* The line [p, p+n) without its CR. */
static size_t trim_cr(const char *p, size_t n)
{
    return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

static int parse_request_line(const char *p, size_t n, struct http_request *req)
{
    const char *end = p + n, *sp = memchr(p, ' ', n);
    if (!sp || sp == p || (size_t)(sp - p) >= sizeof(req->method))
        return -EBADMSG;
    for (const char *c = p; c < sp; c++)
        if (!is_tchar((unsigned char)*c))
            return -EBADMSG;
    memcpy(req->method, p, (size_t)(sp - p));
    req->method[sp - p] = '\0';

    const char *target = sp + 1, *sp2 = memchr(target, ' ', (size_t)(end - target));
    if (!sp2 || target == sp2 || *target != '/')
        return -EBADMSG;
    for (const char *c = target; c < sp2; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
            return -EBADMSG;
    const char *query = memchr(target, '?', (size_t)(sp2 - target));
    size_t path_len = (size_t)((query ? query : sp2) - target);
    if (path_len >= sizeof(req->path))
        return -ENAMETOOLONG;
    memcpy(req->path, target, path_len);
    req->path[path_len] = '\0';

    const char *version = sp2 + 1;
    if (end - version != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return -EBADMSG;
    if (version[5] != '1')
        return -EPROTONOSUPPORT;
    req->version_minor = version[7] - '0';
    return 0;
}

/* "name: value" with a token name and no control bytes but HTAB. */
static int check_header_line(const char *p, size_t n)
{
    const char *colon = memchr(p, ':', n);
    if (!colon || colon == p)
        return -EBADMSG;
    for (const char *c = p; c < colon; c++)
        if (!is_tchar((unsigned char)*c))
            return -EBADMSG;
    for (const char *c = colon + 1; c < p + n; c++)
        if (((unsigned char)*c < ' ' && *c != '\t') || *c == 0x7f)
            return -EBADMSG;
    return 0;
}

static int name_is(const char *p, const char *colon, const char *name)
{
    return (size_t)(colon - p) == strlen(name) && !strncasecmp(p, name, strlen(name));
}

/* Keeps the headers the server reads; the line was checked. */
static int read_header(const char *p, size_t n, struct http_request *req)
{
    const char *colon = memchr(p, ':', n), *v = colon + 1, *e = p + n;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    size_t vlen = (size_t)(e - v);
    if (name_is(p, colon, "content-length")) {
        long long cl = 0;
        if (vlen == 0 || vlen > 15)
            return -EBADMSG;
        for (const char *c = v; c < e; c++) {
            if (*c < '0' || *c > '9')
                return -EBADMSG;
            cl = cl * 10 + (*c - '0');
        }
        if (req->content_length >= 0 && req->content_length != cl)
            return -EBADMSG;
        req->content_length = cl;
    } else if (name_is(p, colon, "transfer-encoding")) {
        req->chunked = 1;
    } else if (name_is(p, colon, "authorization")) {
        if (vlen >= sizeof(req->authorization)) {
            req->auth_too_long = 1;
            vlen = 0;
        }
        memcpy(req->authorization, v, vlen);
        req->authorization[vlen] = '\0';
    }
    return 0;
}

int http_request_parse(const char *buf, size_t len, struct http_request *req)
{
    const char *p = buf, *end = buf + len;
    req->content_length = -1;
    req->chunked = 0;
    req->auth_too_long = 0;
    req->authorization[0] = '\0';
    req->body = NULL;
    req->body_len = 0;
    long n = line_end(p, end);
    if (n < 0)
        return 0;
    int r = parse_request_line(p, trim_cr(p, (size_t)n), req);
    if (r < 0)
        return r;
    p += n + 1;
    for (;;) {
        if ((n = line_end(p, end)) < 0)
            return 0;
        size_t line = trim_cr(p, (size_t)n);
        if (line == 0)
            return (int)(p + n + 1 - buf);
        if ((r = check_header_line(p, line)) < 0 || (r = read_header(p, line, req)) < 0)
            return r;
        p += n + 1;
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int http_path_decode(const char *src, char *out, size_t len)
{
    size_t k = 0;
    for (const char *s = src; *s; s++) {
        int c = (unsigned char)*s;
        if (c == '%') {
            int hi = hex_value(s[1]), lo = hi < 0 ? -1 : hex_value(s[2]);
            if (lo < 0)
                return -EINVAL;
            c = hi * 16 + lo;
            s += 2;
        }
        if (c < 0x20 || c == 0x7f || c == '/' || k + 1 >= len)
            return -EINVAL;
        out[k++] = (char)c;
    }
    if (len == 0)
        return -EINVAL;
    out[k] = '\0';
    return 0;
}
