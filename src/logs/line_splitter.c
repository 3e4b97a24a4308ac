/* line_splitter.c - byte chunks to lines, with the long-line policy. */
#include "logs/line_splitter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_MIN_CAP 256u
#define PENDING_KEEP_CAP 4096u /* trim leaves buffers this small alone */

void line_splitter_init(struct line_splitter *s, size_t max_line)
{
    memset(s, 0, sizeof(*s));
    s->max_line = max_line < 8 ? 8 : max_line;
}

size_t line_splitter_cut(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t stop = n > 4 ? n - 4 : 0;
    for (size_t i = n; i > stop; i--) {
        unsigned char c = u[i - 1];
        if (c >= 0x80 && c <= 0xbf)
            continue; /* continuation byte: look further back */
        size_t need;
        if (c >= 0xc2 && c <= 0xdf)
            need = 2;
        else if (c >= 0xe0 && c <= 0xef)
            need = 3;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 4;
        else
            return n; /* ASCII or a byte that starts nothing valid */
        size_t have = n - (i - 1);
        if (have < need && i - 1 > 0)
            return i - 1;
        return n;
    }
    return n;
}

static int pending_reserve(struct line_splitter *s, size_t need)
{
    if (need <= s->cap)
        return 0;
    size_t ncap = s->cap ? s->cap : PENDING_MIN_CAP;
    while (ncap < need)
        ncap *= 2;
    if (ncap > s->max_line)
        ncap = s->max_line;
    if (ncap < need)
        return -ENOMEM;
    char *n = realloc(s->pending, ncap);
    if (!n)
        return -ENOMEM;
    s->pending = n;
    s->cap = ncap;
    return 0;
}

/* Emits a piece from the full pending buffer and keeps the bytes of a cut
 * UTF-8 sequence for the next piece. */
static void emit_pending_piece(struct line_splitter *s, line_splitter_cb cb, void *ctx)
{
    size_t piece = line_splitter_cut(s->pending, s->len);
    cb(ctx, s->pending, piece, LINE_END_SPLIT);
    memmove(s->pending, s->pending + piece, s->len - piece);
    s->len -= piece;
}

int line_splitter_feed(struct line_splitter *s, const char *data, size_t len, line_splitter_cb cb,
                       void *ctx)
{
    int ret = 0;
    while (len > 0) {
        if (s->len > 0) {
            /* continue the pending line */
            const char *nl = memchr(data, '\n', len);
            size_t take = nl ? (size_t)(nl - data) : len;
            size_t room = s->max_line - s->len;
            if (take <= room) {
                if (pending_reserve(s, s->len + take) < 0) {
                    /* cannot hold the line: hand out what we have */
                    ret = -ENOMEM;
                    cb(ctx, s->pending, s->len, LINE_END_SPLIT);
                    s->len = 0;
                    continue;
                }
                memcpy(s->pending + s->len, data, take);
                s->len += take;
                if (!nl)
                    return ret;
                cb(ctx, s->pending, s->len, LINE_END_NEWLINE);
                s->len = 0;
                data += take + 1;
                len -= take + 1;
                continue;
            }
            /* more than max_line bytes without a newline: fill the buffer
             * and emit a piece (at least one more byte of the line follows) */
            if (pending_reserve(s, s->max_line) < 0) {
                ret = -ENOMEM;
                cb(ctx, s->pending, s->len, LINE_END_SPLIT);
                s->len = 0;
                continue;
            }
            memcpy(s->pending + s->len, data, room);
            s->len += room;
            data += room;
            len -= room;
            emit_pending_piece(s, cb, ctx);
            continue;
        }

        /* nothing pending: hand out lines straight from data */
        const char *nl = memchr(data, '\n', len);
        size_t line_len = nl ? (size_t)(nl - data) : len;
        if (line_len > s->max_line) {
            size_t piece = line_splitter_cut(data, s->max_line);
            cb(ctx, data, piece, LINE_END_SPLIT);
            data += piece;
            len -= piece;
            continue;
        }
        if (nl) {
            cb(ctx, data, line_len, LINE_END_NEWLINE);
            data += line_len + 1;
            len -= line_len + 1;
            continue;
        }
        /* the unfinished tail */
        if (pending_reserve(s, len) < 0) {
            cb(ctx, data, len, LINE_END_SPLIT);
            return -ENOMEM;
        }
        memcpy(s->pending, data, len);
        s->len = len;
        return ret;
    }
    return ret;
}

void line_splitter_finish(struct line_splitter *s, line_splitter_cb cb, void *ctx)
{
    if (s->len == 0)
        return;
    cb(ctx, s->pending, s->len, LINE_END_EOF);
    s->len = 0;
}

size_t line_splitter_flush(struct line_splitter *s, line_splitter_cb cb, void *ctx)
{
    size_t before = s->len;
    if (before > 0)
        emit_pending_piece(s, cb, ctx);
    return before - s->len;
}

size_t line_splitter_pending(const struct line_splitter *s)
{
    return s->len;
}

void line_splitter_trim(struct line_splitter *s)
{
    if (s->len == 0) {
        free(s->pending);
        s->pending = NULL;
        s->cap = 0;
        return;
    }
    if (s->cap <= PENDING_KEEP_CAP || s->len == s->cap)
        return;
    char *n = realloc(s->pending, s->len);
    if (n) {
        s->pending = n;
        s->cap = s->len;
    }
}

void line_splitter_free(struct line_splitter *s)
{
    free(s->pending);
    s->pending = NULL;
    s->len = s->cap = 0;
}
