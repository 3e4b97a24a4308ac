/* fuzz_line_format.c - log date formats and line formatting
 * (logs/line_format.h). The user's date format goes through the strftime
 * formatter with the %L and %:z extensions (which must never write past its
 * LINE_FORMAT_TS_MAX buffer, and must agree with strftime when the format
 * uses neither), through the PM2 (dayjs) translation, and into a formatter
 * that writes one line in raw, timestamped or JSON form. JSON lines must be
 * valid JSON in valid UTF-8 that decodes to the line, the timestamp and the
 * app name with each invalid byte replaced by U+FFFD.
 *
 * Input: the date format; optionally NUL, then a flags byte (bit 0 JSON,
 * bit 1 timestamps, bit 2 stderr, bits 3-4 how the line ends, bits 5-7 the
 * time zone), an 8-byte wall time, an 8-byte instance id, the app name up to
 * the next NUL, and the line (the rest). */
#include "fuzz.h"

#include "base/strbuf.h"
#include "logs/line_format.h"

#include <errno.h>
#include <jansson.h>

static void sink(void *ctx, const char *data, size_t len)
{
    FUZZ_CHECK(strbuf_append(ctx, data, len) == 0, "out of memory");
}

/* bytes with every byte that is not part of valid UTF-8 made U+FFFD */
static void replace_invalid(const char *s, size_t n, struct strbuf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = fuzz_utf8_len(u + i, n - i);
        if (l == 0) {
            strbuf_append(out, "\xef\xbf\xbd", 3);
            i++;
        } else {
            strbuf_append(out, s + i, l);
            i += l;
        }
    }
}

static void check_decoded(json_t *obj, const char *key, const char *raw, size_t raw_len)
{
    json_t *v = json_object_get(obj, key);
    struct strbuf want = STRBUF_INIT;
    replace_invalid(raw, raw_len, &want);
    FUZZ_CHECK(json_is_string(v), "JSON line without a string %s", key);
    FUZZ_CHECK(json_string_length(v) == want.len &&
                   (want.len == 0 || memcmp(json_string_value(v), want.buf, want.len) == 0),
               "%s decodes to %zu bytes, expected %zu", key, json_string_length(v), want.len);
    strbuf_free(&want);
}

static void check_timestamp_fn(const char *fmt, int64_t wall_ms)
{
    char *out = malloc(LINE_FORMAT_TS_MAX); /* exactly: ASan sees an overflow */
    FUZZ_CHECK(out, "out of memory");
    size_t n = line_format_timestamp(fmt, wall_ms, out);
    FUZZ_CHECK(n < LINE_FORMAT_TS_MAX, "a timestamp of %zu bytes", n);
    if (n > 0)
        FUZZ_CHECK(strnlen(out, LINE_FORMAT_TS_MAX) == n, "length %zu but the text is %zu", n,
                   strnlen(out, LINE_FORMAT_TS_MAX));
    /* without the extensions it is strftime */
    if (!strpbrk(fmt, "L:") && strlen(fmt) < 100) {
        char want[LINE_FORMAT_TS_MAX];
        int ms = (int)(wall_ms % 1000);
        time_t secs = (time_t)((wall_ms - (ms < 0 ? ms + 1000 : ms)) / 1000);
        struct tm tm;
        if (localtime_r(&secs, &tm)) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            size_t m = strftime(want, sizeof(want), fmt, &tm);
#pragma GCC diagnostic pop
            FUZZ_CHECK(m == n && (n == 0 || memcmp(want, out, n) == 0),
                       "'%s': '%.*s' but strftime gives '%.*s'", fmt, (int)n, out, (int)m, want);
        }
    }
    free(out);
}

static void check_pm2(const char *fmt, size_t out_size)
{
    char *out = malloc(out_size);
    FUZZ_CHECK(out, "out of memory");
    int r = line_format_pm2_date(fmt, out, out_size);
    FUZZ_CHECK(r == 0 || r == -EINVAL, "line_format_pm2_date returned %d", r);
    if (r == 0)
        FUZZ_CHECK(strnlen(out, out_size) < out_size, "not terminated in %zu bytes", out_size);
    free(out);
}

struct line_case {
    const char *date_format;
    int json, timestamps;
    enum log_stream stream;
    enum line_end end;
    int64_t wall_ms, instance;
    const char *app;
    const char *line;
    size_t line_len;
};

static void check_json_line(const struct line_case *lc, const struct line_format *f,
                            const struct strbuf *out)
{
    json_error_t jerr;
    FUZZ_CHECK(fuzz_utf8_valid(out->buf, out->len), "a JSON line that is not valid UTF-8");
    json_t *obj =
        json_loadb(out->buf, out->len - 1, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
    FUZZ_CHECK(json_is_object(obj), "not a JSON object (%s): %.*s", jerr.text, (int)out->len,
               out->buf);
    check_decoded(obj, "message", lc->line, lc->line_len);
    check_decoded(obj, "timestamp", f->ts, f->ts_len);
    check_decoded(obj, "app_name", lc->app, strlen(lc->app));
    const char *type = json_string_value(json_object_get(obj, "type"));
    FUZZ_CHECK(type && !strcmp(type, lc->stream == LOG_STREAM_ERR ? "err" : "out"), "type");
    json_t *id = json_object_get(obj, "process_id");
    FUZZ_CHECK(json_is_integer(id) && json_integer_value(id) == lc->instance, "process_id");
    int split = lc->end == LINE_END_SPLIT;
    FUZZ_CHECK(json_object_size(obj) == 5u + split, "%zu keys", json_object_size(obj));
    if (split)
        FUZZ_CHECK(json_is_true(json_object_get(obj, "partial")), "a piece without partial");
    json_decref(obj);
}

static void check_text_line(const struct line_case *lc, const struct line_format *f,
                            const struct strbuf *out)
{
    static const char marker[] = LINE_FORMAT_CONTINUATION_MARKER "\n";
    struct strbuf want = STRBUF_INIT;
    if (lc->timestamps) {
        strbuf_append(&want, f->ts, f->ts_len);
        strbuf_append(&want, ": ", 2);
    }
    strbuf_append(&want, lc->line, lc->line_len);
    if (lc->end == LINE_END_SPLIT)
        strbuf_append(&want, marker, sizeof(marker) - 1);
    else
        strbuf_putc(&want, '\n');
    FUZZ_CHECK(out->len == want.len && memcmp(out->buf, want.buf, want.len) == 0,
               "raw line: %zu bytes, expected %zu", out->len, want.len);
    strbuf_free(&want);
}

static void check_line(const struct line_case *lc)
{
    struct line_format f;
    int r = line_format_init(&f, lc->json ? LOG_FORMAT_JSON : LOG_FORMAT_RAW, lc->timestamps,
                             lc->date_format, lc->app, lc->instance);
    if (strlen(lc->date_format) >= LINE_FORMAT_TS_MAX)
        FUZZ_CHECK(r == -EINVAL, "a date format of %zu bytes accepted", strlen(lc->date_format));
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL, "line_format_init returned %d", r);
        return;
    }
    FUZZ_CHECK(strnlen(f.date_format, sizeof(f.date_format)) < sizeof(f.date_format),
               "date format not terminated");
    line_format_set_time(&f, lc->wall_ms);
    struct strbuf first = STRBUF_INIT, second = STRBUF_INIT;
    line_format_line(&f, lc->stream, lc->line, lc->line_len, lc->end, sink, &first);
    line_format_line(&f, lc->stream, lc->line, lc->line_len, lc->end, sink, &second);
    FUZZ_CHECK(first.len == second.len && memcmp(first.buf, second.buf, first.len) == 0,
               "the same line formats differently the second time (timestamp cache)");
    FUZZ_CHECK(first.len > 0 && first.buf[first.len - 1] == '\n', "a line without its newline");
    if (lc->json || lc->timestamps) {
        /* the stamp is the user's format, or the default when that is empty */
        char want[LINE_FORMAT_TS_MAX];
        size_t n = line_format_timestamp(f.date_format, lc->wall_ms, want);
        if (n == 0)
            n = line_format_timestamp(LINE_FORMAT_DEFAULT_DATE, lc->wall_ms, want);
        FUZZ_CHECK(n > 0 && f.ts_len == n && memcmp(f.ts, want, n) == 0,
                   "timestamp '%.*s', expected '%.*s'", (int)f.ts_len, f.ts, (int)n, want);
    }
    if (lc->json)
        check_json_line(lc, &f, &first);
    else
        check_text_line(lc, &f, &first);
    strbuf_free(&first);
    strbuf_free(&second);
    line_format_free(&f);
}

static void check_utf8_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(line_format_utf8_len(u + i, n - i) == fuzz_utf8_len(u + i, n - i),
                   "line_format_utf8_len at %zu: %zu, expected %zu", i,
                   line_format_utf8_len(u + i, n - i), fuzz_utf8_len(u + i, n - i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    size_t fmt_len;
    struct fuzz_params p = fuzz_split(data, size, &fmt_len);
    char *fmt = fuzz_strndup(data, fmt_len);
    struct line_case lc = {.date_format = fmt, .app = "app", .line = "hello", .line_len = 5};
    char *app = NULL;
    int explicit_case = p.n > 0;
    if (explicit_case) {
        uint8_t flags = fuzz_u8(&p);
        lc.json = flags & 1;
        lc.timestamps = flags >> 1 & 1;
        lc.stream = flags >> 2 & 1 ? LOG_STREAM_ERR : LOG_STREAM_OUT;
        lc.end = (flags >> 3 & 3) == 1   ? LINE_END_SPLIT
                 : (flags >> 3 & 3) == 2 ? LINE_END_EOF
                                         : LINE_END_NEWLINE;
        fuzz_set_zone(flags >> 5);
        /* about +-2200 years around 1970: what a clock can say */
        lc.wall_ms = (int64_t)(fuzz_u64(&p) % (1ULL << 47)) - (1LL << 46);
        lc.instance = (int64_t)fuzz_u64(&p);
        const uint8_t *nul = p.n ? memchr(p.p, '\0', p.n) : NULL;
        size_t app_len = nul ? (size_t)(nul - p.p) : p.n;
        app = fuzz_strndup(p.p, app_len);
        lc.app = app;
        p.p += app_len, p.n -= app_len;
        fuzz_u8(&p); /* the NUL */
        lc.line = (const char *)p.p;
        lc.line_len = p.n;
    } else {
        fuzz_set_zone(0);
        lc.wall_ms = 1700000000123LL;
        lc.instance = 3;
    }

    check_timestamp_fn(fmt, lc.wall_ms);
    check_pm2(fmt, LINE_FORMAT_TS_MAX);
    check_pm2(fmt, 1 + fmt_len % 32);
    check_utf8_len(lc.line, lc.line_len);
    check_utf8_len(fmt, fmt_len);
    if (explicit_case) {
        check_line(&lc);
    } else {
        for (int mode = 0; mode < 3; mode++) {
            lc.json = mode == 2;
            lc.timestamps = mode >= 1;
            check_line(&lc);
        }
    }
    free(app);
    free(fmt);
    return 0;
}
