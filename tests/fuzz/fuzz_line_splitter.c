/* fuzz_line_splitter.c - an app's output cut into lines
 * (logs/line_splitter.h), fed in chunks of fuzzed sizes with trims between
 * them. Checks the header's policy: every byte comes out once and in order
 * (pieces plus their newlines rebuild the input), a line of up to max_line
 * bytes is delivered whole, pieces are at most max_line bytes, a piece of a
 * longer line never ends inside a UTF-8 sequence the next bytes complete,
 * and only the last piece can be EOF.
 *
 * Input: byte 0 picks max_line, byte 1 seeds the chunk sizes, the rest is
 * the output of the app. */
#include "fuzz.h"

#include "base/strbuf.h"
#include "logs/line_splitter.h"

struct seen {
    const uint8_t *in; /* the whole stream, to look ahead of a piece */
    size_t in_len;
    struct strbuf out; /* pieces and newlines so far */
    size_t max_line;
    size_t line_start; /* stream offset where the current line began */
    int ended;         /* EOF seen */
};

/* Length of the UTF-8 sequence a lead byte starts, as line_splitter.h
 * counts them (any continuation bytes complete it), or 0. */
static size_t lead_len(uint8_t c)
{
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

/* A piece that ends at stream offset end must not cut a sequence that the
 * bytes after end complete. */
static void check_cut(const struct seen *s, size_t start, size_t end)
{
    for (size_t q = end > start + 3 ? end - 3 : start; q < end; q++) {
        size_t need = lead_len(s->in[q]);
        if (need == 0 || q + need <= end || q + need > s->in_len)
            continue;
        int completed = 1;
        for (size_t i = q + 1; i < q + need; i++)
            if (s->in[i] < 0x80 || s->in[i] > 0xbf)
                completed = 0;
        FUZZ_CHECK(!completed || q == start,
                   "a piece ending at %zu cuts the UTF-8 sequence at %zu (%zu bytes)", end, q,
                   need);
    }
}

static void on_line(void *ctx, const char *line, size_t len, enum line_end end)
{
    struct seen *s = ctx;
    size_t start = s->out.len;
    FUZZ_CHECK(!s->ended, "a line after EOF");
    FUZZ_CHECK(len <= s->max_line, "a piece of %zu bytes (max_line %zu)", len, s->max_line);
    FUZZ_CHECK(start + len <= s->in_len && memcmp(s->in + start, line, len) == 0,
               "bytes at %zu differ from the input", start);
    FUZZ_CHECK(!memchr(line, '\n', len), "a newline inside a line");
    switch (end) {
    case LINE_END_NEWLINE:
        FUZZ_CHECK(start + len < s->in_len && s->in[start + len] == '\n',
                   "a line at %zu does not end at a newline", start);
        strbuf_append(&s->out, line, len);
        strbuf_putc(&s->out, '\n');
        s->line_start = s->out.len;
        break;
    case LINE_END_SPLIT: {
        FUZZ_CHECK(len > 0, "an empty piece");
        /* only a line longer than max_line is split */
        const uint8_t *ls = s->in + s->line_start;
        const uint8_t *nl = memchr(ls, '\n', s->in_len - s->line_start);
        size_t line_len = nl ? (size_t)(nl - ls) : s->in_len - s->line_start;
        FUZZ_CHECK(line_len > s->max_line, "the line at %zu (%zu bytes, max_line %zu) was split",
                   s->line_start, line_len, s->max_line);
        check_cut(s, start, start + len);
        strbuf_append(&s->out, line, len);
        break;
    }
    case LINE_END_EOF:
        FUZZ_CHECK(start + len == s->in_len, "EOF at %zu of %zu", start + len, s->in_len);
        strbuf_append(&s->out, line, len);
        s->ended = 1;
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FUZZ_MAX_INPUT)
        return 0;
    static const size_t sizes[] = {8, 9, 10, 13, 16, 64, 255, 256, 257, 4096};
    size_t max_line = sizes[data[0] % (sizeof(sizes) / sizeof(sizes[0]))];
    uint64_t rng = data[1] + 1;
    const uint8_t *in = data + 2;
    size_t n = size - 2;

    struct line_splitter sp;
    struct seen s = {.in = in, .in_len = n, .out = STRBUF_INIT, .max_line = max_line};
    line_splitter_init(&sp, max_line);
    size_t off = 0;
    while (off < n) {
        uint64_t x = fuzz_rand(&rng);
        size_t chunk = (x & 0x100) ? 1 + x % (2 * max_line + 8) : 1 + x % 16;
        if (chunk > n - off)
            chunk = n - off;
        FUZZ_CHECK(line_splitter_feed(&sp, (const char *)in + off, chunk, on_line, &s) == 0,
                   "feed failed");
        off += chunk;
        FUZZ_CHECK(s.out.len + line_splitter_pending(&sp) == off,
                   "%zu bytes out and %zu pending after %zu in", s.out.len,
                   line_splitter_pending(&sp), off);
        FUZZ_CHECK(line_splitter_pending(&sp) <= max_line, "%zu bytes pending",
                   line_splitter_pending(&sp));
        if (x & 0x200)
            line_splitter_trim(&sp);
    }
    line_splitter_finish(&sp, on_line, &s);
    FUZZ_CHECK(line_splitter_pending(&sp) == 0, "bytes pending after finish");
    FUZZ_CHECK(s.out.len == n && (n == 0 || memcmp(s.out.buf, in, n) == 0), "%zu bytes in, %zu out",
               n, s.out.len);
    line_splitter_free(&sp);
    strbuf_free(&s.out);
    return 0;
}
