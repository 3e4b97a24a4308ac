/* line_splitter.h - turns the byte chunks read from an app's pipe into lines.
 *
 * Pure (no I/O). Lines that lie entirely inside a chunk are handed out
 * without copying; only the unfinished tail of a chunk is copied into the
 * splitter's pending buffer, which grows on demand up to max_line bytes and
 * can be released when idle.
 *
 * Long-line policy: a line of up to max_line bytes (not counting its
 * newline) is always delivered whole. A longer line is delivered as pieces
 * of at most max_line bytes, each but the last flagged LINE_END_SPLIT; a
 * piece never ends inside a UTF-8 sequence that the next bytes could
 * complete. Nothing is ever dropped. Bytes are opaque: NUL, '\r' and invalid
 * UTF-8 are passed through; only '\n' ends a line. */
#pragma once

#include <stddef.h>

/* The logger's limit: lines up to 1 MiB are written whole. */
#define LINE_SPLITTER_MAX_LINE (1024u * 1024u)

enum line_end {
    LINE_END_NEWLINE, /* the line ended with '\n' (not included in the bytes) */
    LINE_END_SPLIT,   /* a piece of a longer line; the next piece continues it */
    LINE_END_EOF,     /* the stream ended (or was drained) without a final '\n' */
};

/* Receives one line (or piece). line is valid only during the call and is
 * not NUL-terminated; len may be 0 (an empty line). */
typedef void (*line_splitter_cb)(void *ctx, const char *line, size_t len, enum line_end end);

struct line_splitter {
    char *pending; /* unfinished line; owned, malloc'd lazily */
    size_t len;    /* bytes in pending */
    size_t cap;
    size_t max_line; /* > 4 */
};

/* Prepares an empty splitter (no memory allocated). max_line must be at
 * least 8; it bounds both the pending buffer and the size of a piece. */
void line_splitter_init(struct line_splitter *s, size_t max_line);

/* Splits len bytes of data, calling cb for every line that is now complete
 * (or every piece of an over-long line) in order, and keeps the unfinished
 * tail. Returns 0, or -ENOMEM when the pending buffer cannot grow: then the
 * tail that did not fit is delivered at once as a LINE_END_SPLIT piece, so
 * no byte is lost even then. */
int line_splitter_feed(struct line_splitter *s, const char *data, size_t len, line_splitter_cb cb,
                       void *ctx);

/* Delivers the pending unfinished line, if any, as LINE_END_EOF. */
void line_splitter_finish(struct line_splitter *s, line_splitter_cb cb, void *ctx);

/* Delivers the pending unfinished line as a LINE_END_SPLIT piece (what the
 * stream writes next continues it), keeping back the 1-3 bytes of a UTF-8
 * sequence the next bytes may complete (unless they are all there is).
 * The logger calls it once a stream has been idle for a moment, so output
 * without a trailing newline (a prompt, progress text) reaches the log.
 * Returns the number of bytes delivered (0 when nothing was pending). */
size_t line_splitter_flush(struct line_splitter *s, line_splitter_cb cb, void *ctx);

/* Returns the number of bytes waiting for their newline. */
size_t line_splitter_pending(const struct line_splitter *s);

/* Gives memory back while idle: frees the buffer when nothing is pending,
 * else shrinks it to what is pending. */
void line_splitter_trim(struct line_splitter *s);

/* Frees the pending buffer (pending bytes are discarded: finish first). */
void line_splitter_free(struct line_splitter *s);

/* Returns how many of the first n bytes of s can end a piece without cutting
 * a UTF-8 sequence that continues past n: n, or n minus the 1-3 bytes of a
 * started multi-byte sequence. Never returns less than n - 3 or 0 for n > 0.
 * Exposed for tests. */
size_t line_splitter_cut(const char *s, size_t n);
