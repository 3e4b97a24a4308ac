/* fuzz_cron.c - cron_restart expressions (config/cron_expr.h): cron_parse,
 * then cron_next and cron_check_reachable, checked against what the header
 * promises: the time returned is after the start and within 29 years,
 * matches the expression, and no earlier second after the start matches
 * (checked when the gap is short); -ENOENT only where a DST change can hide
 * every match (cron_parse refuses what can never fire, so in a zone without
 * DST an accepted expression always fires); cron_check_reachable agrees with
 * cron_next.
 *
 * Input: the expression; optionally NUL, a zone byte (fuzz.h's zones) and a
 * big-endian 8-byte start time (taken modulo 1970..2070: around 2100, which
 * is not a leap year, weekdays and dates take longer than 28 years to line
 * up again). Without them the expression is tried in UTC and in central
 * Europe, from a plain date and from just before each DST change of 2024. */
#include "fuzz.h"

#include "config/cron_expr.h"

#include <errno.h>

#define HORIZON_S (29LL * 366 * 86400) /* cron_next looks this far */
#define BRUTE_FORCE_S 3600             /* gaps up to this are checked second by second */

static int wall_equal(const struct tm *a, const struct tm *b)
{
    return a->tm_year == b->tm_year && a->tm_yday == b->tm_yday && a->tm_hour == b->tm_hour &&
           a->tm_min == b->tm_min && a->tm_sec == b->tm_sec;
}

/* Whether the local time of t matches e (cron_expr.h's day rule). */
static int matches(const struct cron_expr *e, time_t t)
{
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return 0;
    if (!(e->seconds >> tm.tm_sec & 1) || !(e->minutes >> tm.tm_min & 1) ||
        !(e->hours >> tm.tm_hour & 1) || !(e->months >> (tm.tm_mon + 1) & 1))
        return 0;
    int md = e->mdays >> tm.tm_mday & 1, wd = e->wdays >> tm.tm_wday & 1;
    return (e->mday_any || e->wday_any) ? md && wd : md || wd;
}

/* Whether the wall time of t already occurred in the last two hours (the
 * second pass through an hour that a DST change repeats). */
static int second_pass(time_t t)
{
    static const int shifts[] = {1800, 3600, 7200};
    struct tm now, before;
    if (!localtime_r(&t, &now))
        return 0;
    for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
        time_t p = t - shifts[i];
        if (localtime_r(&p, &before) && wall_equal(&now, &before))
            return 1;
    }
    return 0;
}

static int fires_at(const struct cron_expr *e, time_t t)
{
    int fixed_time = e->hours != (1u << 24) - 1 && e->minutes != (1ULL << 60) - 1;
    return matches(e, t) && !(fixed_time && second_pass(t));
}

static void check_next(const char *text, const struct cron_expr *e, unsigned zone, time_t after)
{
    time_t next = 0;
    int r = cron_next(e, after, &next);
    FUZZ_CHECK(r == 0 || r == -ENOENT, "'%s': cron_next returned %d", text, r);
    char why[256];
    int reachable = cron_check_reachable(e, after, why, sizeof(why));
    if (r == -ENOENT) {
        FUZZ_CHECK(zone != 0 && zone != 3,
                   "'%s' was accepted but does not fire within 29 years after %lld (TZ=%s)", text,
                   (long long)after, fuzz_zones[zone]);
        FUZZ_CHECK(reachable == -EINVAL, "'%s' never fires but is reachable", text);
        return;
    }
    FUZZ_CHECK(reachable == (next - after > CRON_MAX_FIRST_WAIT_S ? -EINVAL : 0),
               "'%s': cron_check_reachable says %d (%s) for a first fire %lld s away", text,
               reachable, reachable ? why : "", (long long)(next - after));
    FUZZ_CHECK(next > after && next - after <= HORIZON_S, "'%s': next %lld after %lld", text,
               (long long)next, (long long)after);
    FUZZ_CHECK(fires_at(e, next), "'%s': next %lld after %lld does not match (TZ=%s)", text,
               (long long)next, (long long)after, fuzz_zones[zone]);
    time_t again = 0;
    FUZZ_CHECK(cron_next(e, next - 1, &again) == 0 && again == next,
               "'%s': from %lld next is %lld, from %lld it is %lld (TZ=%s)", text, (long long)after,
               (long long)next, (long long)next - 1, (long long)again, fuzz_zones[zone]);
    if (next - after <= BRUTE_FORCE_S)
        for (time_t t = after + 1; t < next; t++)
            FUZZ_CHECK(!fires_at(e, t), "'%s': %lld fires before next %lld (after %lld, TZ=%s)",
                       text, (long long)t, (long long)next, (long long)after, fuzz_zones[zone]);
}

static void check_parsed(const char *text, const struct cron_expr *e)
{
    FUZZ_CHECK(e->seconds && e->seconds < 1ULL << 60, "'%s': seconds %llx", text,
               (unsigned long long)e->seconds);
    FUZZ_CHECK(e->minutes && e->minutes < 1ULL << 60, "'%s': minutes", text);
    FUZZ_CHECK(e->hours && e->hours < 1u << 24, "'%s': hours", text);
    FUZZ_CHECK(e->mdays && !(e->mdays & 1), "'%s': days of month %x", text, e->mdays);
    FUZZ_CHECK(e->months && !(e->months & 1) && e->months < 1u << 13, "'%s': months", text);
    FUZZ_CHECK(e->wdays && e->wdays < 1u << 7, "'%s': days of week", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const time_t defaults[] = {
        1700000000, /* 2023-11-14 22:13:20 UTC */
        1711846799, /* 2024-03-31 00:59:59 UTC, a second before CEST begins */
        1729990799, /* 2024-10-27 00:59:59 UTC, a second before CEST ends */
    };
    if (size > FUZZ_MAX_INPUT)
        return 0;
    size_t text_len;
    struct fuzz_params p = fuzz_split(data, size, &text_len);
    char *text = fuzz_strndup(data, text_len);
    char err[256];
    struct cron_expr e;
    memset(err, 0x5a, sizeof(err));
    int r = cron_parse(text, &e, err, sizeof(err));
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL, "'%s': cron_parse returned %d", text, r);
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0], "'%s': refused without a reason",
                   text);
        free(text);
        return 0;
    }
    FUZZ_CHECK(r == 0 && text_len <= CRON_EXPR_MAX_LEN, "'%s': accepted (%d)", text, r);
    check_parsed(text, &e);
    if (p.n > 0) {
        unsigned zone = fuzz_set_zone(fuzz_u8(&p));
        time_t after = (time_t)(fuzz_u64(&p) % 3155760000ULL); /* 1970 .. 2070 */
        check_next(text, &e, zone, after);
    } else {
        for (unsigned zone = 0; zone < 2; zone++) {
            fuzz_set_zone(zone);
            for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
                check_next(text, &e, zone, defaults[i]);
        }
    }
    free(text);
    return 0;
}
