/* Unit tests for logs/line_format.c and logs/log_name.c: raw, timestamped
 * and JSON lines, the %L extension, JSON escaping of every byte value
 * (checked by a strict RFC 8259 + UTF-8 validator and by jansson), the
 * continuation marker, and the names of rotated files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "logs/line_format.h"
#include "logs/log_name.h"

/* 2026-11-21T10:00:00.123Z */
#define T0 ((int64_t)1795255200 * 1000 + 123)

static void sb_sink(void *ctx, const char *data, size_t len)
{
    assert_int_equal(strbuf_append(ctx, data, len), 0);
}

static int setup_utc(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

/* --- a strict validator: RFC 8259 grammar, UTF-8 checked byte by byte --- */

struct jv {
    const unsigned char *p, *end;
};

static void jv_ws(struct jv *v)
{
    while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n' || *v->p == '\r'))
        v->p++;
}

static int jv_value(struct jv *v, int depth);

static int jv_hex4(struct jv *v, unsigned *out)
{
    if (v->end - v->p < 4)
        return 0;
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = *v->p++;
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= c - '0';
        else if (c >= 'a' && c <= 'f')
            x |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            x |= c - 'A' + 10;
        else
            return 0;
    }
    *out = x;
    return 1;
}

static int jv_string(struct jv *v)
{
    if (v->p >= v->end || *v->p != '"')
        return 0;
    v->p++;
    while (v->p < v->end) {
        unsigned char c = *v->p;
        if (c == '"') {
            v->p++;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            v->p++;
            if (v->p >= v->end)
                return 0;
            c = *v->p++;
            if (c == 'u') {
                unsigned u;
                if (!jv_hex4(v, &u))
                    return 0;
                if (u >= 0xd800 && u <= 0xdfff)
                    return 0; /* our output never needs surrogate escapes */
            } else if (!strchr("\"\\/bfnrt", c)) {
                return 0;
            }
            continue;
        }
        size_t n = line_format_utf8_len(v->p, (size_t)(v->end - v->p));
        if (n == 0)
            return 0;
        v->p += n;
    }
    return 0;
}

static int jv_number(struct jv *v)
{
    const unsigned char *s = v->p;
    if (v->p < v->end && *v->p == '-')
        v->p++;
    if (v->p >= v->end)
        return 0;
    if (*v->p == '0') {
        v->p++;
    } else if (*v->p >= '1' && *v->p <= '9') {
        while (v->p < v->end && *v->p >= '0' && *v->p <= '9')
            v->p++;
    } else {
        return 0;
    }
    return v->p > s;
}

static int jv_lit(struct jv *v, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(v->end - v->p) < n || memcmp(v->p, lit, n) != 0)
        return 0;
    v->p += n;
    return 1;
}

static int jv_value(struct jv *v, int depth)
{
    if (depth > 16)
        return 0;
    jv_ws(v);
    if (v->p >= v->end)
        return 0;
    switch (*v->p) {
    case '"':
        return jv_string(v);
    case '{':
        v->p++;
        jv_ws(v);
        if (v->p < v->end && *v->p == '}') {
            v->p++;
            return 1;
        }
        for (;;) {
            jv_ws(v);
            if (!jv_string(v))
                return 0;
            jv_ws(v);
            if (v->p >= v->end || *v->p++ != ':')
                return 0;
            if (!jv_value(v, depth + 1))
                return 0;
            jv_ws(v);
            if (v->p >= v->end)
                return 0;
            if (*v->p == '}') {
                v->p++;
                return 1;
            }
            if (*v->p++ != ',')
                return 0;
        }
    case 't':
        return jv_lit(v, "true");
    case 'f':
        return jv_lit(v, "false");
    case 'n':
        return jv_lit(v, "null");
    default:
        return jv_number(v);
    }
}

/* One JSON text followed by exactly one '\n'. */
static int strict_json_line(const char *s, size_t len)
{
    if (len == 0 || s[len - 1] != '\n')
        return 0;
    struct jv v = {(const unsigned char *)s, (const unsigned char *)s + len - 1};
    if (!jv_value(&v, 0))
        return 0;
    jv_ws(&v);
    return v.p == v.end && memchr(s, '\n', len - 1) == NULL;
}

static void test_validator_itself(void **state)
{
    (void)state;
    assert_true(strict_json_line("{\"a\":\"b\\u0000\",\"n\":-12}\n", 24));
    assert_false(strict_json_line("{\"a\":\"\xff\"}\n", 10));
    assert_false(strict_json_line("{\"a\":\"\x01\"}\n", 10));
    assert_false(strict_json_line("{\"a\":\"\\ud800\"}\n", 15));
    assert_false(strict_json_line("{\"a\":1}", 7));
    assert_false(strict_json_line("{\"a\":1}x\n", 9));
}

/* --- formatting --- */

static char *fmt_line(struct line_format *f, enum log_stream st, const char *line, size_t len,
                      enum line_end end, size_t *out_len)
{
    struct strbuf sb = STRBUF_INIT;
    line_format_line(f, st, line, len, end, sb_sink, &sb);
    return strbuf_detach(&sb, out_len);
}

static void test_raw_lines(void **state)
{
    (void)state;
    struct line_format f;
    assert_int_equal(line_format_init(&f, LOG_FORMAT_RAW, 0, NULL, "app", 0), 0);
    size_t n;
    char *s = fmt_line(&f, LOG_STREAM_OUT, "hello", 5, LINE_END_NEWLINE, &n);
    assert_string_equal(s, "hello\n");
    free(s);
    s = fmt_line(&f, LOG_STREAM_OUT, "", 0, LINE_END_NEWLINE, &n);
    assert_string_equal(s, "\n");
    free(s);
    s = fmt_line(&f, LOG_STREAM_ERR, "half", 4, LINE_END_EOF, &n);
    assert_string_equal(s, "half\n");
    free(s);
    s = fmt_line(&f, LOG_STREAM_OUT, "piece", 5, LINE_END_SPLIT, &n);
    assert_string_equal(s, "piece" LOGGER_CONTINUATION_MARKER "\n");
    assert_string_equal(LOGGER_CONTINUATION_MARKER, " [drover: line continues]");
    free(s);
    /* bytes pass through, NUL included */
    s = fmt_line(&f, LOG_STREAM_OUT, "a\0\xff\x01", 4, LINE_END_NEWLINE, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(s, "a\0\xff\x01\n", 5);
    free(s);
    line_format_free(&f);
}

static void test_timestamp_every_line(void **state)
{
    (void)state;
    struct line_format f;
    assert_int_equal(line_format_init(&f, LOG_FORMAT_RAW, 1, NULL, "app", 0), 0);
    line_format_set_time(&f, T0);
    struct strbuf sb = STRBUF_INIT;
    /* a chunk of three lines: three prefixes */
    line_format_line(&f, LOG_STREAM_OUT, "one", 3, LINE_END_NEWLINE, sb_sink, &sb);
    line_format_line(&f, LOG_STREAM_OUT, "two", 3, LINE_END_NEWLINE, sb_sink, &sb);
    line_format_set_time(&f, T0 + 1001);
    line_format_line(&f, LOG_STREAM_OUT, "three", 5, LINE_END_NEWLINE, sb_sink, &sb);
    assert_string_equal(sb.buf, "2026-11-21T10:00:00.123+0000: one\n"
                                "2026-11-21T10:00:00.123+0000: two\n"
                                "2026-11-21T10:00:01.124+0000: three\n");
    strbuf_free(&sb);
    line_format_free(&f);

    /* a custom format without %L is cached per second, still correct */
    assert_int_equal(line_format_init(&f, LOG_FORMAT_RAW, 1, "%H:%M:%S", "app", 0), 0);
    line_format_set_time(&f, T0);
    line_format_line(&f, LOG_STREAM_OUT, "x", 1, LINE_END_NEWLINE, sb_sink, &sb);
    line_format_set_time(&f, T0 + 900);
    line_format_line(&f, LOG_STREAM_OUT, "y", 1, LINE_END_NEWLINE, sb_sink, &sb);
    assert_string_equal(sb.buf, "10:00:00: x\n10:00:01: y\n");
    strbuf_free(&sb);
    line_format_free(&f);
}

/* Formats the line "x" at T0 with timestamps in date_format. */
static void check_stamped_x(const char *date_format, const char *want)
{
    struct line_format f;
    assert_int_equal(line_format_init(&f, LOG_FORMAT_RAW, 1, date_format, "app", 0), 0);
    line_format_set_time(&f, T0);
    size_t n;
    char *s = fmt_line(&f, LOG_STREAM_OUT, "x", 1, LINE_END_NEWLINE, &n);
    assert_string_equal(s, want);
    free(s);
    line_format_free(&f);
}

static void test_timestamp_extension(void **state)
{
    (void)state;
    char out[LINE_FORMAT_TS_MAX];
    assert_int_equal(line_format_timestamp("%S.%L", T0 - 116, out), 6);
    assert_string_equal(out, "00.007");
    assert_int_equal(line_format_timestamp("%%L %L%%", T0, out), 7);
    assert_string_equal(out, "%L 123%");
    assert_int_equal(line_format_timestamp("%Y-%m-%d", T0, out), 10);
    assert_string_equal(out, "2026-11-21");
    /* a result that does not fit: 0 (the formatter falls back) */
    char longfmt[200];
    memset(longfmt, 'x', sizeof(longfmt) - 1);
    longfmt[sizeof(longfmt) - 1] = '\0';
    assert_int_equal(line_format_timestamp(longfmt, T0, out), 0);

    struct line_format f;
    assert_int_equal(line_format_init(&f, LOG_FORMAT_RAW, 1, longfmt, "app", 0), -EINVAL);
    char fmt100[120];
    memset(fmt100, 0, sizeof(fmt100));
    for (int i = 0; i < 50; i++)
        memcpy(fmt100 + 2 * i, "%Y", 2); /* 100 bytes of format, 200 of output */
    check_stamped_x(fmt100, "2026-11-21T10:00:00.123+0000: x\n");

    /* local time is honoured */
    setenv("TZ", "UTC-2", 1);
    tzset();
    assert_int_equal(line_format_timestamp(LINE_FORMAT_DEFAULT_DATE, T0, out), 28);
    assert_string_equal(out, "2026-11-21T12:00:00.123+0200");
    assert_int_equal(line_format_timestamp("%H:%M %:z", T0, out), 12);
    assert_string_equal(out, "12:00 +02:00");
    setenv("TZ", "<-0330>3:30", 1);
    tzset();
    assert_int_equal(line_format_timestamp("%:z|%z", T0, out), 12);
    assert_string_equal(out, "-03:30|-0330");
    setup_utc(NULL);
}

/* PM2's dayjs formats are translated; strftime formats are left alone */
static void test_pm2_date_format(void **state)
{
    (void)state;
    char fmt[LINE_FORMAT_TS_MAX], out[LINE_FORMAT_TS_MAX];
    static const struct {
        const char *pm2, *strftime, *at_t0;
    } cases[] = {
        {"YYYY-MM-DD HH:mm:ss", "%Y-%m-%d %H:%M:%S", "2026-11-21 10:00:00"},
        {"YYYY-MM-DDTHH:mm:ss.SSS Z", "%Y-%m-%dT%H:%M:%S.%L %:z", "2026-11-21T10:00:00.123 +00:00"},
        {"DD/MM/YY hh:mm A ZZ", "%d/%m/%y %I:%M %p %z", "21/11/26 10:00 AM +0000"},
        {"ddd D MMM, dddd M/D MMMM", "%a %-d %b, %A %-m/%-d %B",
         "Sat 21 Nov, Saturday 11/21 November"},
        {"[at] H[h]m [100%]", "at %-Hh%-M 100%%", "at 10h0 100%"},
        {"X x", "%s %s%L", "1795255200 1795255200123"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(line_format_pm2_date(cases[i].pm2, fmt, sizeof(fmt)), 0);
        assert_string_equal(fmt, cases[i].strftime);
        assert_true(line_format_timestamp(fmt, T0, out) > 0);
        assert_string_equal(out, cases[i].at_t0);
    }
    assert_int_equal(line_format_pm2_date("YYYY", fmt, 3), 0);
    assert_int_equal(line_format_pm2_date("YYYY", fmt, 2), -EINVAL);

    /* the formatter translates a format without '%' */
    check_stamped_x("HH:mm:ss.SSS", "10:00:00.123: x\n");
}

static char *escape(const char *data, size_t len)
{
    struct strbuf sb = STRBUF_INIT;
    line_format_json_escape(data, len, sb_sink, &sb);
    if (!sb.buf)
        return strdup("");
    return strbuf_detach(&sb, NULL);
}

static void test_json_escape_rules(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"plain", 5, "plain"},
        {"q\"b\\s/", 6, "q\\\"b\\\\s/"},
        {"\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f"},
        {"\0\x01\x1f\x7f", 4, "\\u0000\\u0001\\u001f\\u007f"},
        {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"},
        {"\xef\xbf\xbf\xf4\x8f\xbf\xbf", 7, "\xef\xbf\xbf\xf4\x8f\xbf\xbf"}, /* U+FFFF, U+10FFFF */
        {"\x80", 1, "\\ufffd"}, /* stray continuation */
        {"a\xffz", 3, "a\\ufffdz"},
        {"\xc0\xaf", 2, "\\ufffd\\ufffd"},                       /* overlong '/' */
        {"\xe0\x80\xaf", 3, "\\ufffd\\ufffd\\ufffd"},            /* overlong */
        {"\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd"},            /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd"}, /* above U+10FFFF */
        {"\xf5\x80", 2, "\\ufffd\\ufffd"},
        {"ok\xe2\x82", 4, "ok\\ufffd\\ufffd"}, /* truncated at the end */
        {"\xe2\x82z", 3, "\\ufffd\\ufffdz"},   /* truncated in the middle */
        {"\xc3\xa9\xc3", 3, "\xc3\xa9\\ufffd"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = escape(cases[i].in, cases[i].len);
        assert_string_equal(s, cases[i].out);
        free(s);
    }
    const unsigned char ok4[] = {0xf0, 0x90, 0x80, 0x80};
    assert_int_equal(line_format_utf8_len(ok4, 4), 4);
    assert_int_equal(line_format_utf8_len(ok4, 3), 0);
    assert_int_equal(line_format_utf8_len((const unsigned char *)"a", 1), 1);
}

static void check_json_line(const char *s, size_t n, const char *message, size_t message_len,
                            const char *type, json_int_t pid, const char *app, int partial)
{
    assert_true(strict_json_line(s, n));
    json_error_t err;
    json_t *o = json_loadb(s, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &err);
    assert_non_null(o);
    json_t *m = json_object_get(o, "message");
    assert_true(json_is_string(m));
    if (message) {
        assert_int_equal(json_string_length(m), message_len);
        assert_memory_equal(json_string_value(m), message, message_len);
    }
    assert_string_equal(json_string_value(json_object_get(o, "type")), type);
    assert_int_equal(json_integer_value(json_object_get(o, "process_id")), pid);
    assert_string_equal(json_string_value(json_object_get(o, "app_name")), app);
    assert_true(json_is_string(json_object_get(o, "timestamp")));
    if (partial)
        assert_true(json_is_true(json_object_get(o, "partial")));
    else
        assert_null(json_object_get(o, "partial"));
    json_decref(o);
}

static void test_json_lines(void **state)
{
    (void)state;
    struct line_format f;
    assert_int_equal(line_format_init(&f, LOG_FORMAT_JSON, 0, NULL, "api \"v2\"", 3), 0);
    line_format_set_time(&f, T0);
    size_t n;
    char *s = fmt_line(&f, LOG_STREAM_OUT, "hello", 5, LINE_END_NEWLINE, &n);
    assert_string_equal(s, "{\"message\":\"hello\",\"timestamp\":\"2026-11-21T10:00:00.123+0000\","
                           "\"type\":\"out\",\"process_id\":3,\"app_name\":\"api \\\"v2\\\"\"}\n");
    free(s);
    s = fmt_line(&f, LOG_STREAM_ERR, "a\0b\tc", 5, LINE_END_NEWLINE, &n);
    check_json_line(s, n, "a\0b\tc", 5, "err", 3, "api \"v2\"", 0);
    free(s);
    s = fmt_line(&f, LOG_STREAM_OUT, "piece", 5, LINE_END_SPLIT, &n);
    check_json_line(s, n, "piece", 5, "out", 3, "api \"v2\"", 1);
    free(s);
    s = fmt_line(&f, LOG_STREAM_OUT, "bad \xff\xfe utf8 \xe2\x82", 14, LINE_END_EOF, &n);
    check_json_line(s, n, "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd\xef\xbf\xbd", 22, "out",
                    3, "api \"v2\"", 0);
    free(s);
    line_format_free(&f);

    /* timestamps apply in JSON only as the field; a date format with odd
     * bytes and an app name with invalid UTF-8 are escaped too */
    assert_int_equal(line_format_init(&f, LOG_FORMAT_JSON, 1, "\"%Y\"\x01\xff", "x\xff", -1), 0);
    line_format_set_time(&f, T0);
    s = fmt_line(&f, LOG_STREAM_OUT, "m", 1, LINE_END_NEWLINE, &n);
    check_json_line(s, n, "m", 1, "out", -1, "x\xef\xbf\xbd", 0);
    assert_non_null(strstr(s, "\"timestamp\":\"\\\"2026\\\"\\u0001\\ufffd\""));
    free(s);
    line_format_free(&f);
}

/* Every byte value, and random byte strings: the output is always strictly
 * valid, and valid UTF-8 without controls comes back unchanged. */
static void test_json_fuzz(void **state)
{
    (void)state;
    struct line_format f;
    assert_int_equal(line_format_init(&f, LOG_FORMAT_JSON, 0, NULL, "fuzz", 0), 0);
    line_format_set_time(&f, T0);
    char one[1];
    for (int b = 0; b < 256; b++) {
        one[0] = (char)b;
        size_t n;
        char *s = fmt_line(&f, LOG_STREAM_OUT, one, 1, LINE_END_NEWLINE, &n);
        assert_true(strict_json_line(s, n));
        free(s);
    }
    srand(777);
    char buf[300];
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(rand() % (int)sizeof(buf));
        int mode = rand() % 3;
        for (size_t i = 0; i < len; i++) {
            int r = rand();
            buf[i] = mode == 0   ? (char)(r % 256)
                     : mode == 1 ? (char)(0x80 + r % 0x80)
                                 : (char)(r % 2 ? 0xc0 + r % 0x40 : 0x80 + r % 0x40);
        }
        size_t n;
        char *s = fmt_line(&f, LOG_STREAM_OUT, buf, len,
                           rand() % 2 ? LINE_END_SPLIT : LINE_END_NEWLINE, &n);
        assert_true(strict_json_line(s, n));
        json_error_t err;
        json_t *o = json_loadb(s, n, JSON_ALLOW_NUL, &err);
        assert_non_null(o);
        json_decref(o);
        free(s);
    }
    /* valid multi-byte text round-trips exactly */
    const char *text = "Grüße, 世界! 😀 — ünïcödé";
    size_t n;
    char *s = fmt_line(&f, LOG_STREAM_OUT, text, strlen(text), LINE_END_NEWLINE, &n);
    check_json_line(s, n, text, strlen(text), "out", 0, "fuzz", 0);
    free(s);
    line_format_free(&f);
}

/* --- rotated names --- */

static void test_rotated_names(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(log_name_rotated("/var/log/app-out.log", T0, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "/var/log/app-out__2026-11-21_10-00-00.log");
    assert_int_equal(log_name_rotated("/var/log/app-out.log", T0, 1, out, sizeof(out)), 0);
    assert_string_equal(out, "/var/log/app-out__2026-11-21_10-00-00_0001.log");
    assert_int_equal(log_name_rotated("/var/log/app-out.log", T0, 9999, out, sizeof(out)), 0);
    assert_string_equal(out, "/var/log/app-out__2026-11-21_10-00-00_9999.log");
    assert_int_equal(log_name_rotated("/var/log/app-out.log", T0, 10000, out, sizeof(out)),
                     -EINVAL);
    assert_int_equal(log_name_rotated("/d.ir/app", T0, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "/d.ir/app__2026-11-21_10-00-00");
    assert_int_equal(log_name_rotated("/d/.hidden", T0, 2, out, sizeof(out)), 0);
    assert_string_equal(out, "/d/.hidden__2026-11-21_10-00-00_0002");
    assert_int_equal(log_name_rotated("rel.a.txt", T0, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "rel.a__2026-11-21_10-00-00.txt");
    assert_int_equal(log_name_rotated("/var/log/app-out.log", T0, 0, out, 20), -ENAMETOOLONG);

    assert_true(log_name_is_rotated("app-out.log", "app-out__2026-11-21_10-00-00.log"));
    assert_true(log_name_is_rotated("app-out.log", "app-out__2026-11-21_10-00-00.log.gz"));
    assert_true(log_name_is_rotated("app-out.log", "app-out__2026-11-21_10-00-00_0042.log.gz"));
    assert_true(log_name_is_rotated("app", "app__2026-11-21_10-00-00_0042"));
    assert_false(log_name_is_rotated("app-out.log", "app-out.log"));
    assert_false(log_name_is_rotated("app-out.log", "app-err__2026-11-21_10-00-00.log"));
    assert_false(log_name_is_rotated("app-out.log", "app-out__2026-11-21_10-00-00.log.tmp"));
    assert_false(log_name_is_rotated("app-out.log", "app-out__2026-11-21_10-00-0x.log"));
    assert_false(log_name_is_rotated("app-out.log", "app-out__2026-11-21_10-00-00_001.log"));
    assert_false(log_name_is_rotated("app-out.log", ".app-out__2026-11-21_10-00-00.log.gz.X"));
    assert_false(log_name_is_rotated("app", "app__2026-11-21_10-00-00.log"));
    assert_false(log_name_is_rotated("app-out.log", "app-out__2026-11-21_10-00-00.txt"));

    char stamp[LOG_NAME_STAMP_LEN + 1];
    unsigned counter = 99;
    assert_true(log_name_parse("a.log", "a__2026-11-21_10-00-00_0042.log.gz", stamp, &counter));
    assert_string_equal(stamp, "2026-11-21_10-00-00");
    assert_int_equal(counter, 42);
    assert_true(log_name_parse("a.log", "a__2026-11-21_10-00-01.log", stamp, &counter));
    assert_string_equal(stamp, "2026-11-21_10-00-01");
    assert_int_equal(counter, 0);
    assert_false(log_name_parse("a.log", "b__2026-11-21_10-00-01.log", stamp, &counter));
    assert_int_equal(log_name_stamp(T0, stamp), 0);
    assert_string_equal(stamp, "2026-11-21_10-00-00");
}

static void test_rotated_names_sort_by_age(void **state)
{
    (void)state;
    const char *sorted[] = {
        "a__2026-11-21_09-59-59_0003.log.gz", "a__2026-11-21_10-00-00.log",
        "a__2026-11-21_10-00-00.log.gz",      "a__2026-11-21_10-00-00_0001.log.gz",
        "a__2026-11-21_10-00-00_0002.log",    "a__2026-11-21_10-00-00_0010.log",
        "a__2026-11-21_10-00-01.log.gz",      "a__2026-11-22_00-00-00.log",
    };
    size_t n = sizeof(sorted) / sizeof(sorted[0]);
    const char *mixed[8];
    for (size_t i = 0; i < n; i++)
        mixed[i] = sorted[(i * 5 + 3) % n];
    qsort(mixed, n, sizeof(mixed[0]), log_name_compare);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(mixed[i], sorted[i]);
    /* names built by log_name_rotated sort the same way */
    char x[64], y[64], z[64];
    log_name_rotated("a", T0, 0, x, sizeof(x));
    log_name_rotated("a", T0, 1, y, sizeof(y));
    log_name_rotated("a", T0 + 1000, 0, z, sizeof(z));
    const char *p[] = {z, y, x};
    qsort(p, 3, sizeof(p[0]), log_name_compare);
    assert_ptr_equal(p[0], x);
    assert_ptr_equal(p[1], y);
    assert_ptr_equal(p[2], z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator_itself),
        cmocka_unit_test(test_raw_lines),
        cmocka_unit_test(test_timestamp_every_line),
        cmocka_unit_test(test_timestamp_extension),
        cmocka_unit_test(test_pm2_date_format),
        cmocka_unit_test(test_json_escape_rules),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_json_fuzz),
        cmocka_unit_test(test_rotated_names),
        cmocka_unit_test(test_rotated_names_sort_by_age),
    };
    return cmocka_run_group_tests(tests, setup_utc, NULL);
}
