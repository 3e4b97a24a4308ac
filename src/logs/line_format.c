/* line_format.c - raw, timestamped and JSON lines; JSON string escaping. */
#include "logs/line_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t line_format_utf8_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong forms */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0)
            lo = 0x90; /* no overlong forms */
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}

void line_format_json_escape(const char *data, size_t len, line_format_sink sink, void *ctx)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)data;
    size_t run = 0; /* start of the bytes that pass through unchanged */
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = line_format_utf8_len(s + i, len - i);
            if (n > 0) {
                i += n;
                continue;
            }
        }
        if (i > run)
            sink(ctx, data + run, i - run);
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t esc_len = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            esc_len = 6;
            esc[1] = 'u';
            if (c >= 0x80) {
                memcpy(esc + 2, "fffd", 4);
            } else {
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 0xf];
            }
            break;
        }
        sink(ctx, esc, esc_len);
        i++;
        run = i;
    }
    if (i > run)
        sink(ctx, data + run, i - run);
}

/* --- timestamps --- */

size_t line_format_timestamp(const char *date_format, int64_t wall_ms, char *out)
{
    int ms = (int)(wall_ms % 1000);
    if (ms < 0)
        ms += 1000;
    time_t secs = (time_t)((wall_ms - ms) / 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm))
        return 0;

    /* expand %L and %:z first (strftime would reject or mangle them) */
    char fmt[LINE_FORMAT_TS_MAX * 2];
    size_t o = 0;
    for (const char *p = date_format; *p; p++) {
        if (o + 8 >= sizeof(fmt))
            return 0;
        if (p[0] == '%' && p[1] == 'L') {
            fmt[o++] = (char)('0' + ms / 100);
            fmt[o++] = (char)('0' + ms / 10 % 10);
            fmt[o++] = (char)('0' + ms % 10);
            p++;
        } else if (p[0] == '%' && p[1] == ':' && p[2] == 'z') {
            long off = tm.tm_gmtoff / 60;
            long a = off < 0 ? -off : off;
            fmt[o++] = off < 0 ? '-' : '+';
            fmt[o++] = (char)('0' + a / 600 % 10);
            fmt[o++] = (char)('0' + a / 60 % 10);
            fmt[o++] = ':';
            fmt[o++] = (char)('0' + a % 60 / 10);
            fmt[o++] = (char)('0' + a % 10);
            p += 2;
        } else if (p[0] == '%' && p[1] != '\0') {
            fmt[o++] = *p++;
            fmt[o++] = *p;
        } else {
            fmt[o++] = *p;
        }
    }
    fmt[o] = '\0';
    /* the user's format, by design */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    return strftime(out, LINE_FORMAT_TS_MAX, fmt, &tm);
#pragma GCC diagnostic pop
}

/* PM2's date tokens (dayjs / moment), longest first, and what they are in
 * strftime (with the %L and %:z extensions; musl knows the '-' flag). */
static const struct {
    const char *token, *strftime;
} pm2_tokens[] = {
    {"YYYY", "%Y"}, {"YY", "%y"},  {"MMMM", "%B"}, {"MMM", "%b"}, {"MM", "%m"}, {"M", "%-m"},
    {"DD", "%d"},   {"D", "%-d"},  {"dddd", "%A"}, {"ddd", "%a"}, {"d", "%w"},  {"HH", "%H"},
    {"H", "%-H"},   {"hh", "%I"},  {"h", "%-I"},   {"mm", "%M"},  {"m", "%-M"}, {"ss", "%S"},
    {"s", "%-S"},   {"SSS", "%L"}, {"A", "%p"},    {"a", "%p"},   {"ZZ", "%z"}, {"Z", "%:z"},
    {"X", "%s"},    {"x", "%s%L"},
};

int line_format_pm2_date(const char *in, char *out, size_t out_size)
{
    size_t o = 0;
    int literal = 0; /* inside [...] */
    for (const char *p = in; *p;) {
        const char *add = NULL;
        size_t used = 1;
        char one[3] = {*p, '\0', '\0'};
        if (literal && *p == ']') {
            literal = 0;
            add = "";
        } else if (!literal && *p == '[') {
            literal = 1;
            add = "";
        } else if (*p == '%') {
            add = "%%";
        } else if (!literal) {
            for (size_t i = 0; i < sizeof(pm2_tokens) / sizeof(pm2_tokens[0]) && !add; i++) {
                size_t n = strlen(pm2_tokens[i].token);
                if (strncmp(p, pm2_tokens[i].token, n) == 0) {
                    add = pm2_tokens[i].strftime;
                    used = n;
                }
            }
        }
        if (!add)
            add = one;
        size_t n = strlen(add);
        if (o + n >= out_size)
            return -EINVAL;
        memcpy(out + o, add, n);
        o += n;
        p += used;
    }
    out[o] = '\0';
    return 0;
}

struct fixed_buf {
    char *buf;
    size_t len, cap;
};

static void fixed_buf_sink(void *ctx, const char *data, size_t len)
{
    struct fixed_buf *b = ctx;
    size_t n = len < b->cap - b->len ? len : b->cap - b->len;
    memcpy(b->buf + b->len, data, n);
    b->len += n;
}

static void render_timestamp(struct line_format *f)
{
    int64_t key = f->date_has_ms ? f->now_ms : f->now_ms / 1000;
    if (key == f->cached_key && f->ts_len > 0)
        return;
    f->ts_len = line_format_timestamp(f->date_format, f->now_ms, f->ts);
    if (f->ts_len == 0)
        f->ts_len = line_format_timestamp(LINE_FORMAT_DEFAULT_DATE, f->now_ms, f->ts);
    struct fixed_buf b = {f->ts_json, 0, sizeof(f->ts_json)};
    line_format_json_escape(f->ts, f->ts_len, fixed_buf_sink, &b);
    f->ts_json_len = b.len;
    f->cached_key = key;
}

/* --- setup --- */

static int build_json_tail(struct line_format *f, enum log_stream stream, const char *app_name,
                           int64_t instance_id)
{
    char head[96];
    int n = snprintf(head, sizeof(head),
                     "\",\"type\":\"%s\",\"process_id\":%" PRId64 ",\"app_name\":\"",
                     stream == LOG_STREAM_ERR ? "err" : "out", instance_id);
    size_t name_len = strlen(app_name);
    size_t cap = (size_t)n + name_len * 6 + 2;
    char *tail = malloc(cap);
    if (!tail)
        return -ENOMEM;
    memcpy(tail, head, (size_t)n);
    struct fixed_buf b = {tail, (size_t)n, cap};
    line_format_json_escape(app_name, name_len, fixed_buf_sink, &b);
    tail[b.len++] = '"';
    f->json_tail[stream] = tail;
    f->json_tail_len[stream] = b.len;
    return 0;
}

int line_format_init(struct line_format *f, enum log_format format, int timestamps,
                     const char *date_format, const char *app_name, int64_t instance_id)
{
    memset(f, 0, sizeof(*f));
    f->format = format;
    f->timestamps = timestamps;
    f->cached_key = INT64_MIN;
    if (!date_format || !*date_format)
        date_format = LINE_FORMAT_DEFAULT_DATE;
    size_t dlen = strlen(date_format);
    if (dlen >= sizeof(f->date_format))
        return -EINVAL;
    if (strchr(date_format, '%'))
        memcpy(f->date_format, date_format, dlen + 1);
    else if (line_format_pm2_date(date_format, f->date_format, sizeof(f->date_format)) < 0)
        return -EINVAL; /* PM2's "YYYY-MM-DD HH:mm:ss" */
    for (const char *p = f->date_format; *p; p++) {
        if (p[0] == '%' && p[1] == 'L')
            f->date_has_ms = 1;
        if (p[0] == '%' && p[1] != '\0')
            p++;
    }
    if (format == LOG_FORMAT_JSON) {
        if (!app_name)
            app_name = "";
        if (build_json_tail(f, LOG_STREAM_OUT, app_name, instance_id) < 0 ||
            build_json_tail(f, LOG_STREAM_ERR, app_name, instance_id) < 0) {
            line_format_free(f);
            return -ENOMEM;
        }
    }
    return 0;
}

void line_format_free(struct line_format *f)
{
    free(f->json_tail[0]);
    free(f->json_tail[1]);
    f->json_tail[0] = f->json_tail[1] = NULL;
}

void line_format_set_time(struct line_format *f, int64_t wall_ms)
{
    f->now_ms = wall_ms;
}

/* --- lines --- */

void line_format_line(struct line_format *f, enum log_stream stream, const char *line, size_t len,
                      enum line_end end, line_format_sink sink, void *ctx)
{
    static const char marker_nl[] = LINE_FORMAT_CONTINUATION_MARKER "\n";
    if (f->format == LOG_FORMAT_JSON) {
        static const char partial_end[] = ",\"partial\":true}\n";
        render_timestamp(f);
        sink(ctx, "{\"message\":\"", 12);
        line_format_json_escape(line, len, sink, ctx);
        sink(ctx, "\",\"timestamp\":\"", 15);
        sink(ctx, f->ts_json, f->ts_json_len);
        sink(ctx, f->json_tail[stream], f->json_tail_len[stream]);
        if (end == LINE_END_SPLIT)
            sink(ctx, partial_end, sizeof(partial_end) - 1);
        else
            sink(ctx, "}\n", 2);
        return;
    }
    if (f->timestamps) {
        render_timestamp(f);
        sink(ctx, f->ts, f->ts_len);
        sink(ctx, ": ", 2);
    }
    if (len > 0)
        sink(ctx, line, len);
    if (end == LINE_END_SPLIT)
        sink(ctx, marker_nl, sizeof(marker_nl) - 1);
    else
        sink(ctx, "\n", 1);
}
