/* line_format.h - how one captured line is written to a log file.
 *
 * Pure apart from reading the clock's time zone (localtime_r). Output goes
 * to a sink callback in pieces, so a long line is never copied into a
 * buffer of its own and formatting needs no memory beyond the struct.
 *
 *   raw:         <line>\n
 *   timestamps:  <timestamp>: <line>\n                       (PM2's --time)
 *   json:        {"message":"<line>","timestamp":"<timestamp>","type":"out",
 *                 "process_id":<instance>,"app_name":"<name>"}\n
 *
 * A piece of an over-long line (see line_splitter.h) that another piece
 * continues ends with LINE_FORMAT_CONTINUATION_MARKER before its newline in
 * raw and timestamp modes, and carries "partial":true (after app_name) in
 * JSON mode; the last piece of the line is written like a normal line.
 *
 * JSON output is always valid JSON in valid UTF-8, whatever the bytes:
 * '"' and '\\' are escaped, \n \r \t \b \f use their short escapes, other
 * control bytes (0x00-0x1f, and DEL 0x7f) become \u00XX, valid UTF-8 passes
 * through unchanged, and every byte that is not part of a valid UTF-8
 * sequence (stray continuation bytes, truncated sequences, overlong forms,
 * surrogates, code points above U+10FFFF) becomes \ufffd, one per byte.
 * In raw and timestamp modes bytes are written as they came (NULs too).
 *
 * Timestamps use strftime(3) in local time plus two extensions: %L is the
 * milliseconds (000-999) and %:z the UTC offset as +hh:mm. The default is
 * LINE_FORMAT_DEFAULT_DATE, e.g. "2026-11-21T10:00:00.123+0100". A format
 * without any '%' is PM2's (dayjs) format and is translated first
 * (line_format_pm2_date): "YYYY-MM-DD HH:mm:ss.SSS Z". A format expanding
 * to more than 127 bytes falls back to the default. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "logs/line_splitter.h"
#include "logs/logger.h"

#define LINE_FORMAT_DEFAULT_DATE "%Y-%m-%dT%H:%M:%S.%L%z"
#define LINE_FORMAT_CONTINUATION_MARKER LOGGER_CONTINUATION_MARKER
#define LINE_FORMAT_TS_MAX 128

/* Receives formatted bytes. A sink that cannot store them counts its own
 * losses; the formatter does not look back. */
typedef void (*line_format_sink)(void *ctx, const char *data, size_t len);

struct line_format {
    enum log_format format;
    int timestamps;
    char date_format[LINE_FORMAT_TS_MAX]; /* with %L already checked */
    int date_has_ms;
    /* the JSON text after the timestamp that never changes:
     * ","type":"out","process_id":3,"app_name":"x" */
    char *json_tail[2]; /* indexed by enum log_stream; owned */
    size_t json_tail_len[2];
    /* timestamp cache */
    int64_t now_ms;     /* wall clock of the lines being formatted */
    int64_t cached_key; /* now_ms (or now_ms / 1000 without %L) of ts */
    char ts[LINE_FORMAT_TS_MAX];
    size_t ts_len;
    char ts_json[LINE_FORMAT_TS_MAX * 6]; /* ts escaped for JSON */
    size_t ts_json_len;
};

/* Prepares a formatter for an app. date_format NULL or "" means the
 * default; a format longer than 127 bytes is rejected with -EINVAL. Returns
 * 0 or -ENOMEM. Free with line_format_free. */
int line_format_init(struct line_format *f, enum log_format format, int timestamps,
                     const char *date_format, const char *app_name, int64_t instance_id);

/* Frees what line_format_init allocated. */
void line_format_free(struct line_format *f);

/* Sets the wall-clock time (ms since the epoch) stamped on the next lines.
 * The text is rendered lazily and cached until the time changes. */
void line_format_set_time(struct line_format *f, int64_t wall_ms);

/* Formats one line (without its newline) of the given stream and passes the
 * output to sink, ending with '\n'. end says whether another piece
 * continues this one (LINE_END_SPLIT). */
void line_format_line(struct line_format *f, enum log_stream stream, const char *line, size_t len,
                      enum line_end end, line_format_sink sink, void *ctx);

/* Renders wall_ms with a strftime format extended with %L (milliseconds)
 * into out (size LINE_FORMAT_TS_MAX), in local time. Returns the length, 0
 * when the result does not fit or is empty. */
size_t line_format_timestamp(const char *date_format, int64_t wall_ms, char *out);

/* Translates a PM2 date format (dayjs / moment tokens: YYYY YY MMMM MMM
 * MM M DD D dddd ddd d HH H hh h mm m ss s SSS A a ZZ Z X x, text in
 * [brackets] kept as is) into the strftime form above, into out (size
 * out_size). Other characters are kept ('%' doubled). Returns 0 or
 * -EINVAL when the result does not fit. */
int line_format_pm2_date(const char *in, char *out, size_t out_size);

/* Writes data as the inside of a JSON string (see the rules above) to sink. */
void line_format_json_escape(const char *data, size_t len, line_format_sink sink, void *ctx);

/* Returns the length of the valid UTF-8 sequence at the start of s (1-4),
 * or 0 if s[0..n) does not start with one. Exposed for tests. */
size_t line_format_utf8_len(const unsigned char *s, size_t n);
