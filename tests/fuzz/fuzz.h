/* fuzz.h - what every fuzz target shares: the libFuzzer entry point and small
 * helpers to read parameters from an input and to check invariants.
 *
 * Each tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput. Linked with
 * -fsanitize=fuzzer it is a libFuzzer binary (make fuzz); linked with
 * fuzz_main.c it replays the files of tests/fuzz/corpus/<name>/ as a plain
 * test (meson test --suite fuzz), under every build the unit tests run in.
 *
 * A target checks what the code under test promises, not only that it does
 * not crash: a broken invariant aborts through FUZZ_CHECK, which the fuzzer
 * reports like a crash (with the input that caused it).
 *
 * Text targets take the whole input as the text up to its first NUL; the
 * bytes after that NUL, when there are any, are parameters (a time zone, a
 * time, chunk sizes). So a corpus file is readable text, and the fuzzer can
 * still reach the parameters by adding a NUL. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Runs the code under test on one input (size bytes at data, not
 * NUL-terminated). Aborts when an invariant does not hold; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the failed condition, where it is, and a printf message. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n  ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Inputs larger than this are skipped by targets that copy or send them
 * whole; libFuzzer's default -max_len (4096) stays far below. */
#define FUZZ_MAX_INPUT (256u * 1024)

/* A malloc'd NUL-terminated copy of size bytes (exactly size + 1 bytes, so a
 * sanitizer sees any read past the end). Aborts on allocation failure. */
static inline char *fuzz_strndup(const void *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A reader of parameter bytes: once they run out, every read gives 0. */
struct fuzz_params {
    const uint8_t *p;
    size_t n;
};

/* Splits an input at its first NUL: the text before it (*text_len bytes at
 * data) and the parameters after it (empty when there is no NUL). */
static inline struct fuzz_params fuzz_split(const uint8_t *data, size_t size, size_t *text_len)
{
    const uint8_t *nul = size ? memchr(data, '\0', size) : NULL;
    struct fuzz_params p = {NULL, 0};
    *text_len = nul ? (size_t)(nul - data) : size;
    if (nul) {
        p.p = nul + 1;
        p.n = size - *text_len - 1;
    }
    return p;
}

static inline uint8_t fuzz_u8(struct fuzz_params *p)
{
    if (p->n == 0)
        return 0;
    p->n--;
    return *p->p++;
}

static inline uint64_t fuzz_u64(struct fuzz_params *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | fuzz_u8(p);
    return v;
}

/* xorshift64: chunk sizes and other choices derived from one seed. */
static inline uint64_t fuzz_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* Length (1-4) of the valid UTF-8 sequence at s[0..n), or 0 when s does not
 * start with one (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF). Decodes the code point, so it is written apart from the
 * range-table validators of the code under test it is compared with. */
static inline size_t fuzz_utf8_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    uint32_t cp = s[0], min;
    size_t need;
    if (cp < 0x80)
        return 1;
    if ((cp & 0xe0) == 0xc0) {
        need = 2, cp &= 0x1f, min = 0x80;
    } else if ((cp & 0xf0) == 0xe0) {
        need = 3, cp &= 0x0f, min = 0x800;
    } else if ((cp & 0xf8) == 0xf0) {
        need = 4, cp &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

/* True when s[0..n) is entirely valid UTF-8. */
static inline int fuzz_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = fuzz_utf8_len(u + i, n - i);
        if (l == 0)
            return 0;
        i += l;
    }
    return 1;
}

/* Time zones given as POSIX TZ strings (no tzdata needed): 0 UTC, 1 and 2
 * with DST at 02:00/03:00 like most of Europe and America, 3 west of UTC by
 * a half hour without DST, 4 Lord Howe's half-hour DST shift. */
static const char *const fuzz_zones[] = {
    "UTC0",        "CET-1CEST,M3.5.0,M10.5.0/3",           "EST5EDT,M3.2.0,M11.1.0",
    "<-0330>3:30", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
};

/* Switches the process to zone sel (modulo the table). Returns the index. */
static inline unsigned fuzz_set_zone(unsigned sel)
{
    unsigned i = sel % (sizeof(fuzz_zones) / sizeof(fuzz_zones[0]));
    setenv("TZ", fuzz_zones[i], 1);
    tzset();
    return i;
}
