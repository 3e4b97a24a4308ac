/* fuzz_parse.c - the value parsers of base/parse.h (integers, sizes,
 * durations, signals) on one text, checked against the header: *out is not
 * touched on failure, results are in range, and a result printed back in
 * its plain form parses to itself. Input: the text (up to its first NUL). */
#include "fuzz.h"

#include "base/parse.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>

#define SENTINEL 0x5a5a5a5a5a5a5a5aLL

static void check_int64(const char *s, int64_t min, int64_t max)
{
    int64_t v = SENTINEL;
    int r = parse_int64(s, min, max, &v);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL || r == -ERANGE, "parse_int64('%s') returned %d", s, r);
        FUZZ_CHECK(v == SENTINEL, "parse_int64('%s') failed but wrote %" PRId64, s, v);
        return;
    }
    FUZZ_CHECK(r == 0 && v >= min && v <= max, "parse_int64('%s') gave %" PRId64, s, v);
    char back[32];
    snprintf(back, sizeof(back), "%" PRId64, v);
    int64_t w = SENTINEL;
    FUZZ_CHECK(parse_int64(back, min, max, &w) == 0 && w == v, "'%s' -> %" PRId64 " -> '%s'", s, v,
               back);
}

static void check_size(const char *s)
{
    uint64_t v = (uint64_t)SENTINEL;
    int r = parse_size(s, &v);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL || r == -ERANGE, "parse_size('%s') returned %d", s, r);
        FUZZ_CHECK(v == (uint64_t)SENTINEL, "parse_size('%s') failed but wrote %" PRIu64, s, v);
        return;
    }
    if (v >= 1ULL << 53)
        return; /* a double no longer holds every integer */
    char back[32];
    snprintf(back, sizeof(back), "%" PRIu64, v);
    uint64_t w = 0;
    FUZZ_CHECK(parse_size(back, &w) == 0 && w == v, "size '%s' -> %" PRIu64 " -> %" PRIu64, s, v,
               w);
}

static void check_duration(const char *s)
{
    int64_t v = SENTINEL;
    int r = parse_duration_ms(s, &v);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL || r == -ERANGE, "parse_duration_ms('%s') returned %d", s, r);
        FUZZ_CHECK(v == SENTINEL, "parse_duration_ms('%s') failed but wrote %" PRId64, s, v);
        return;
    }
    FUZZ_CHECK(v >= 0 && v <= 9000000000000000LL, "duration '%s' -> %" PRId64, s, v);
    char back[32];
    snprintf(back, sizeof(back), "%" PRId64 "ms", v);
    int64_t w = SENTINEL;
    FUZZ_CHECK(parse_duration_ms(back, &w) == 0 && w == v, "duration '%s' -> %" PRId64 " -> %s", s,
               v, back);
}

static void check_signal(const char *s)
{
    int sig = 0x5a5a5a5a;
    int r = parse_signal(s, &sig);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL, "parse_signal('%s') returned %d", s, r);
        FUZZ_CHECK(sig == 0x5a5a5a5a, "parse_signal('%s') failed but wrote %d", s, sig);
        return;
    }
    FUZZ_CHECK(sig >= 1 && sig <= 64, "signal '%s' -> %d", s, sig);
    char num[16];
    snprintf(num, sizeof(num), "%d", sig);
    int again = 0;
    FUZZ_CHECK(parse_signal(num, &again) == 0 && again == sig, "signal %d by number", sig);
    const char *name = signal_name(sig);
    if (!name)
        return;
    FUZZ_CHECK(strncmp(name, "SIG", 3) == 0, "signal_name(%d) = %s", sig, name);
    FUZZ_CHECK(parse_signal(name, &again) == 0 && again == sig, "'%s' -> %d", name, again);
    FUZZ_CHECK(parse_signal(name + 3, &again) == 0 && again == sig, "'%s' -> %d", name + 3, again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    size_t len;
    fuzz_split(data, size, &len);
    char *s = fuzz_strndup(data, len);
    check_int64(s, INT64_MIN, INT64_MAX);
    check_int64(s, 1, 65535);
    check_int64(s, -1, 4096);
    check_size(s);
    check_duration(s);
    check_signal(s);
    /* signal_name on whatever number the text holds */
    int64_t n;
    if (parse_int64(s, INT32_MIN, INT32_MAX, &n) == 0) {
        const char *name = signal_name((int)n);
        int back = 0;
        if (name)
            FUZZ_CHECK(parse_signal(name, &back) == 0 && back == n, "signal_name(%d) = %s", (int)n,
                       name);
    }
    free(s);
    return 0;
}
