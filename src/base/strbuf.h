/* strbuf.h - a growable byte buffer with a hard size limit.
 *
 * Ownership: the strbuf owns buf; strbuf_free releases it; strbuf_detach
 * hands it to the caller. buf is always NUL-terminated (the NUL is not
 * counted in len) once anything was appended. Appending past `limit` fails
 * with -E2BIG and leaves the buffer unchanged, so every buffer a peer can
 * grow is bounded. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "base/macros.h"

struct strbuf {
    char *buf;
    size_t len;
    size_t cap;
    size_t limit; /* 0 means the default limit (STRBUF_DEFAULT_LIMIT) */
};

#define STRBUF_DEFAULT_LIMIT (64u * 1024 * 1024)
#define STRBUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Makes room for `extra` more bytes (plus the NUL). */
int strbuf_reserve(struct strbuf *sb, size_t extra);

/* Appends len bytes. */
int strbuf_append(struct strbuf *sb, const void *data, size_t len);

/* Appends a NUL-terminated string. */
int strbuf_puts(struct strbuf *sb, const char *s);

/* Appends one byte. */
int strbuf_putc(struct strbuf *sb, char c);

/* Appends printf-formatted text. */
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);
int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) VPRINTF_LIKE(2);

/* Removes the first n bytes (n <= len), moving the rest to the front. */
void strbuf_consume(struct strbuf *sb, size_t n);

/* Empties the buffer but keeps its memory. */
void strbuf_reset(struct strbuf *sb);

/* Releases the memory; the strbuf can be reused afterwards. */
void strbuf_free(struct strbuf *sb);

/* Returns the buffer (caller frees) and resets the strbuf. Never NULL. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
