/* Unit tests for logs/line_splitter.c: lines across chunks, missing final
 * newline, NUL bytes, the long-line policy (whole up to max_line, visible
 * pieces beyond, never inside a UTF-8 sequence), and a randomised check
 * that any chunking gives back exactly the bytes that went in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/line_splitter.h"

struct got_line {
    char *data;
    size_t len;
    enum line_end end;
};

struct collector {
    struct got_line *lines;
    size_t n, cap;
};

static void collect(void *ctx, const char *line, size_t len, enum line_end end)
{
    struct collector *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->lines = realloc(c->lines, c->cap * sizeof(*c->lines));
        assert_non_null(c->lines);
    }
    struct got_line *g = &c->lines[c->n++];
    g->data = malloc(len + 1);
    assert_non_null(g->data);
    memcpy(g->data, line, len);
    g->data[len] = '\0';
    g->len = len;
    g->end = end;
}

static void collector_free(struct collector *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i].data);
    free(c->lines);
    memset(c, 0, sizeof(*c));
}

static void feed_str(struct line_splitter *s, struct collector *c, const char *str)
{
    assert_int_equal(line_splitter_feed(s, str, strlen(str), collect, c), 0);
}

static void assert_line(const struct collector *c, size_t i, const char *text, enum line_end end)
{
    assert_true(i < c->n);
    assert_int_equal(c->lines[i].len, strlen(text));
    assert_memory_equal(c->lines[i].data, text, strlen(text));
    assert_int_equal(c->lines[i].end, end);
}

static void test_multi_line_chunk(void **state)
{
    (void)state;
    struct line_splitter s;
    struct collector c = {0};
    line_splitter_init(&s, 1024);
    feed_str(&s, &c, "a\nbb\n\nccc\n");
    assert_int_equal(c.n, 4);
    assert_line(&c, 0, "a", LINE_END_NEWLINE);
    assert_line(&c, 1, "bb", LINE_END_NEWLINE);
    assert_line(&c, 2, "", LINE_END_NEWLINE);
    assert_line(&c, 3, "ccc", LINE_END_NEWLINE);
    assert_int_equal(line_splitter_pending(&s), 0);
    assert_null(s.pending); /* lines inside a chunk are never copied */
    line_splitter_free(&s);
    collector_free(&c);
}

static void test_lines_across_chunks(void **state)
{
    (void)state;
    struct line_splitter s;
    struct collector c = {0};
    line_splitter_init(&s, 1024);
    feed_str(&s, &c, "he");
    assert_int_equal(c.n, 0);
    feed_str(&s, &c, "llo\nwor");
    feed_str(&s, &c, "");
    feed_str(&s, &c, "ld");
    feed_str(&s, &c, "\n");
    feed_str(&s, &c, "\n");
    assert_int_equal(c.n, 3);
    assert_line(&c, 0, "hello", LINE_END_NEWLINE);
    assert_line(&c, 1, "world", LINE_END_NEWLINE);
    assert_line(&c, 2, "", LINE_END_NEWLINE);
    line_splitter_free(&s);
    collector_free(&c);
}

static void test_missing_final_newline(void **state)
{
    (void)state;
    struct line_splitter s;
    struct collector c = {0};
    line_splitter_init(&s, 1024);
    feed_str(&s, &c, "abc\ndef");
    assert_int_equal(c.n, 1);
    assert_int_equal(line_splitter_pending(&s), 3);
    line_splitter_finish(&s, collect, &c);
    assert_int_equal(c.n, 2);
    assert_line(&c, 1, "def", LINE_END_EOF);
    /* nothing pending: finish is a no-op, the splitter is reusable */
    line_splitter_finish(&s, collect, &c);
    assert_int_equal(c.n, 2);
    feed_str(&s, &c, "next\n");
    assert_line(&c, 2, "next", LINE_END_NEWLINE);
    line_splitter_free(&s);
    collector_free(&c);
}

static void test_nul_and_binary_bytes(void **state)
{
    (void)state;
    static const char data[] = "a\0b\r\n\0\n\xff\xfe\x01\n";
    struct line_splitter s;
    struct collector c = {0};
    line_splitter_init(&s, 1024);
    /* byte by byte through the pending buffer */
    for (size_t i = 0; i < sizeof(data) - 1; i++)
        assert_int_equal(line_splitter_feed(&s, data + i, 1, collect, &c), 0);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.lines[0].len, 4);
    assert_memory_equal(c.lines[0].data, "a\0b\r", 4);
    assert_int_equal(c.lines[1].len, 1);
    assert_int_equal(c.lines[1].data[0], '\0');
    assert_int_equal(c.lines[2].len, 3);
    assert_memory_equal(c.lines[2].data, "\xff\xfe\x01", 3);
    line_splitter_free(&s);
    collector_free(&c);
}

static void test_long_lines_small_max(void **state)
{
    (void)state;
    struct line_splitter s;
    struct collector c = {0};
    line_splitter_init(&s, 8);

    /* exactly max: whole, from one chunk and from pieces */
    feed_str(&s, &c, "01234567\n");
    feed_str(&s, &c, "0123");
    feed_str(&s, &c, "4567");
    assert_int_equal(c.n, 1);
    feed_str(&s, &c, "\n");
    assert_int_equal(c.n, 2);
    assert_line(&c, 0, "01234567", LINE_END_NEWLINE);
    assert_line(&c, 1, "01234567", LINE_END_NEWLINE);

    /* max + 1: a visible split, whichever way it arrives */
    feed_str(&s, &c, "012345678\n");
    feed_str(&s, &c, "0123");
    feed_str(&s, &c, "4567");
    feed_str(&s, &c, "8\n");
    assert_int_equal(c.n, 6);
    assert_line(&c, 2, "01234567", LINE_END_SPLIT);
    assert_line(&c, 3, "8", LINE_END_NEWLINE);
    assert_line(&c, 4, "01234567", LINE_END_SPLIT);
    assert_line(&c, 5, "8", LINE_END_NEWLINE);

    /* much longer, unterminated */
    feed_str(&s, &c, "0123456789abcdefXYZ");
    line_splitter_finish(&s, collect, &c);
    assert_int_equal(c.n, 9);
    assert_line(&c, 6, "01234567", LINE_END_SPLIT);
    assert_line(&c, 7, "89abcdef", LINE_END_SPLIT);
    assert_line(&c, 8, "XYZ", LINE_END_EOF);
    line_splitter_free(&s);
    collector_free(&c);
}

static void test_split_keeps_utf8_whole(void **state)
{
    (void)state;
    /* line_splitter_cut on its own */
    assert_int_equal(line_splitter_cut("abcdefgh", 8), 8);
    assert_int_equal(line_splitter_cut("abcdefg\xc3", 8), 7);
    assert_int_equal(line_splitter_cut("abcdef\xc3\xa9", 8), 8);
    assert_int_equal(line_splitter_cut("abcdef\xe2\x82", 8), 6);
    assert_int_equal(line_splitter_cut("abcde\xe2\x82\xac", 8), 8);
    assert_int_equal(line_splitter_cut("abcde\xf0\x9f\x98", 8), 5);
    assert_int_equal(line_splitter_cut("abcd\xf0\x9f\x98\x80", 8), 8);
    assert_int_equal(line_splitter_cut("abcdefg\xff", 8), 8);          /* not a lead byte */
    assert_int_equal(line_splitter_cut("abcd\x80\x80\x80\x80", 8), 8); /* stray continuations */
    assert_int_equal(line_splitter_cut("\xe2\x82", 2), 2);             /* never 0 */

    struct line_splitter s;
    struct collector c = {0};
    line_splitter_init(&s, 8);
    /* "é" would straddle the 8-byte boundary: the piece stops before it */
    feed_str(&s, &c, "abcdefg\xc3\xa9xyz\n");
    assert_int_equal(c.n, 2);
    assert_line(&c, 0, "abcdefg", LINE_END_SPLIT);
    assert_line(&c, 1, "\xc3\xa9xyz", LINE_END_NEWLINE);
    /* the same through the pending buffer */
    feed_str(&s, &c, "abc");
    feed_str(&s, &c, "defg\xc3");
    feed_str(&s, &c, "\xa9xyz\n");
    assert_int_equal(c.n, 4);
    assert_line(&c, 2, "abcdefg", LINE_END_SPLIT);
    assert_line(&c, 3, "\xc3\xa9xyz", LINE_END_NEWLINE);
    line_splitter_free(&s);
    collector_free(&c);
}

static char *make_line(size_t len, unsigned seed)
{
    char *p = malloc(len + 1);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (char)('a' + (i * 7 + seed) % 26);
    p[len] = '\n';
    return p;
}

/* Feeds a line of len bytes plus '\n' in 64 KiB chunks; returns pieces. */
static void feed_big(struct line_splitter *s, struct collector *c, const char *data, size_t len)
{
    for (size_t off = 0; off < len;) {
        size_t n = len - off < 65536 ? len - off : 65536;
        assert_int_equal(line_splitter_feed(s, data + off, n, collect, c), 0);
        off += n;
    }
}

static void test_one_mib_line(void **state)
{
    (void)state;
    const size_t mib = LINE_SPLITTER_MAX_LINE;
    struct line_splitter s;
    struct collector c = {0};
    line_splitter_init(&s, LINE_SPLITTER_MAX_LINE);

    /* 1 MiB: survives intact, as one line */
    char *line = make_line(mib, 1);
    feed_big(&s, &c, line, mib + 1);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.lines[0].len, mib);
    assert_int_equal(c.lines[0].end, LINE_END_NEWLINE);
    assert_memory_equal(c.lines[0].data, line, mib);
    free(line);
    collector_free(&c);

    /* 3 MiB + 5: visibly split into 1 MiB pieces, nothing lost */
    size_t big = 3 * mib + 5;
    line = make_line(big, 2);
    feed_big(&s, &c, line, big + 1);
    assert_int_equal(c.n, 4);
    size_t off = 0;
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.lines[i].end, i + 1 < c.n ? LINE_END_SPLIT : LINE_END_NEWLINE);
        assert_true(c.lines[i].len <= mib);
        assert_memory_equal(c.lines[i].data, line + off, c.lines[i].len);
        off += c.lines[i].len;
    }
    assert_int_equal(off, big);
    free(line);
    /* memory goes back once idle */
    line_splitter_trim(&s);
    assert_null(s.pending);
    assert_int_equal(s.cap, 0);
    line_splitter_free(&s);
    collector_free(&c);
}

static void test_trim_keeps_pending(void **state)
{
    (void)state;
    struct line_splitter s;
    struct collector c = {0};
    line_splitter_init(&s, 1 << 20);
    char *line = make_line(100000, 3);
    assert_int_equal(line_splitter_feed(&s, line, 100000, collect, &c), 0);
    assert_true(s.cap >= 100000);
    feed_str(&s, &c, "\n");
    feed_str(&s, &c, "partial");
    line_splitter_trim(&s);
    assert_int_equal(s.cap, 7); /* shrunk to what waits */
    feed_str(&s, &c, " line\n");
    assert_int_equal(c.n, 2);
    assert_line(&c, 1, "partial line", LINE_END_NEWLINE);
    free(line);
    line_splitter_free(&s);
    collector_free(&c);
}

/* Random data, random chunking, tiny max_line: joining the pieces back
 * (SPLIT: nothing, NEWLINE: '\n', EOF: nothing) gives the input back. */
static void test_random_chunking_roundtrip(void **state)
{
    (void)state;
    srand(12345);
    for (int round = 0; round < 300; round++) {
        size_t len = (size_t)(rand() % 3000);
        char *data = malloc(len + 1);
        assert_non_null(data);
        for (size_t i = 0; i < len; i++) {
            int r = rand() % 100;
            data[i] = r < 8    ? '\n'
                      : r < 20 ? (char)(0x80 + rand() % 0x40)
                      : r < 25 ? (char)(0xc2 + rand() % 0x33)
                               : (char)(rand() % 256);
        }
        size_t max_line = 8 + (size_t)(rand() % 40);
        struct line_splitter s;
        struct collector c = {0};
        line_splitter_init(&s, max_line);
        for (size_t off = 0; off < len;) {
            size_t n = 1 + (size_t)(rand() % 97);
            if (n > len - off)
                n = len - off;
            assert_int_equal(line_splitter_feed(&s, data + off, n, collect, &c), 0);
            off += n;
        }
        line_splitter_finish(&s, collect, &c);
        char *joined = malloc(len + 1);
        size_t j = 0;
        for (size_t i = 0; i < c.n; i++) {
            assert_true(c.lines[i].len <= max_line);
            assert_true(j + c.lines[i].len <= len);
            memcpy(joined + j, c.lines[i].data, c.lines[i].len);
            j += c.lines[i].len;
            if (c.lines[i].end == LINE_END_NEWLINE)
                joined[j++] = '\n';
            if (c.lines[i].end == LINE_END_SPLIT)
                assert_true(c.lines[i].len + 3 >= max_line);
        }
        assert_int_equal(j, len);
        assert_memory_equal(joined, data, len);
        free(joined);
        free(data);
        line_splitter_free(&s);
        collector_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_line_chunk),
        cmocka_unit_test(test_lines_across_chunks),
        cmocka_unit_test(test_missing_final_newline),
        cmocka_unit_test(test_nul_and_binary_bytes),
        cmocka_unit_test(test_long_lines_small_max),
        cmocka_unit_test(test_split_keeps_utf8_whole),
        cmocka_unit_test(test_one_mib_line),
        cmocka_unit_test(test_trim_keeps_pending),
        cmocka_unit_test(test_random_chunking_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
