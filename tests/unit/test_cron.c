/* Unit tests for config/cron_expr.c: parsing cron_restart and computing the
 * next fire time (UTC and a zone with DST). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/cron_expr.h"

static void use_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* Unix time of a UTC date. */
static time_t utc(int y, int mon, int d, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

static struct cron_expr parse_ok(const char *text)
{
    struct cron_expr e;
    char err[256] = "";
    int r = cron_parse(text, &e, err, sizeof(err));
    if (r != 0)
        fail_msg("'%s' rejected: %s", text, err);
    return e;
}

/* Next fire time of text after t; the expression must fire. */
static time_t next_after(const char *text, time_t t)
{
    struct cron_expr e = parse_ok(text);
    time_t n = 0;
    assert_int_equal(cron_next(&e, t, &n), 0);
    assert_true(n > t);
    return n;
}

static void assert_rejected(const char *text, const char *needle)
{
    struct cron_expr e;
    char err[256] = "";
    assert_int_equal(cron_parse(text, &e, err, sizeof(err)), -EINVAL);
    if (!strstr(err, needle))
        fail_msg("'%s': error '%s' lacks '%s'", text, err, needle);
}

static void test_parse_fields(void **state)
{
    (void)state;
    struct cron_expr e = parse_ok("* * * * *");
    assert_true(e.seconds == 1); /* 5 fields: at second 0 */
    assert_true(e.minutes == (1ULL << 60) - 1);
    assert_true(e.hours == (1u << 24) - 1);
    assert_true(e.mdays == 0xfffffffeu);
    assert_true(e.months == 0x1ffe);
    assert_true(e.wdays == 0x7f);
    assert_true(e.mday_any && e.wday_any);

    e = parse_ok("*/2 * * * * *");
    assert_true(e.seconds == 0x555555555555555ULL);

    e = parse_ok("0,15,30-32 1-5/2 1 1 0");
    assert_true(e.seconds == 1);
    assert_true(e.minutes == (1ULL << 0 | 1ULL << 15 | 1ULL << 30 | 1ULL << 31 | 1ULL << 32));
    assert_true(e.hours == (1u << 1 | 1u << 3 | 1u << 5));
    assert_true(e.mdays == 1u << 1 && e.months == 1u << 1 && e.wdays == 1);
    assert_false(e.mday_any || e.wday_any);

    e = parse_ok("10/20 * * * *"); /* a/n runs to the field's end */
    assert_true(e.minutes == (1ULL << 10 | 1ULL << 30 | 1ULL << 50));

    e = parse_ok("0 0 ? * ?");
    assert_true(e.mday_any && e.wday_any);
}

static void test_parse_names(void **state)
{
    (void)state;
    struct cron_expr e = parse_ok("0 12 * JAN,jul,Dec mon-fri");
    assert_true(e.months == (1u << 1 | 1u << 7 | 1u << 12));
    assert_true(e.wdays == 0x3e);
    e = parse_ok("0 0 * feb-apr sat,sun");
    assert_true(e.months == (1u << 2 | 1u << 3 | 1u << 4));
    assert_true(e.wdays == (1u << 6 | 1u << 0));
    e = parse_ok("0 0 * * 7"); /* 7 is Sunday */
    assert_true(e.wdays == 1);
    e = parse_ok("0 0 * * 5-7");
    assert_true(e.wdays == (1u << 5 | 1u << 6 | 1u << 0));
    e = parse_ok("0 0 * * */2");
    assert_true(e.wdays == (1u << 0 | 1u << 2 | 1u << 4 | 1u << 6));
}

static void test_parse_macros(void **state)
{
    (void)state;
    struct cron_expr a = parse_ok("@daily"), b = parse_ok("0 0 * * *");
    assert_memory_equal(&a, &b, sizeof(a));
    a = parse_ok("@midnight");
    assert_memory_equal(&a, &b, sizeof(a));
    a = parse_ok("  @hourly ");
    b = parse_ok("0 * * * *");
    assert_memory_equal(&a, &b, sizeof(a));
    a = parse_ok("@weekly");
    b = parse_ok("0 0 * * 0");
    assert_memory_equal(&a, &b, sizeof(a));
    a = parse_ok("@monthly");
    b = parse_ok("0 0 1 * *");
    assert_memory_equal(&a, &b, sizeof(a));
    a = parse_ok("@yearly");
    b = parse_ok("@annually");
    assert_memory_equal(&a, &b, sizeof(a));
    assert_rejected("@sometimes", "unknown macro '@sometimes'");
    assert_rejected("@daily 5", "unknown macro");
}

static void test_parse_errors(void **state)
{
    (void)state;
    assert_rejected("not a cron", "expected 5 fields");
    assert_rejected("", "got 0");
    assert_rejected("* * * *", "got 4");
    assert_rejected("* * * * * * *", "more than 6");
    assert_rejected("60 * * * *", "field 1 (minute): 60 is out of range 0-59");
    assert_rejected("60 * * * * *", "field 1 (second): 60 is out of range 0-59");
    assert_rejected("* 24 * * *", "field 2 (hour)");
    assert_rejected("* * 0 * *", "field 3 (day of month): 0 is out of range 1-31");
    assert_rejected("* * 32 * *", "field 3 (day of month)");
    assert_rejected("* * * 13 *", "field 4 (month): 13 is out of range 1-12");
    assert_rejected("* * * * 8", "field 5 (day of week)");
    assert_rejected("5-1 * * * *", "range 5-1 is reversed");
    assert_rejected("*/0 * * * *", "step 0 is out of range");
    assert_rejected("*/60 * * * *", "step 60 is out of range");
    assert_rejected("*/x * * * *", "step must be a number");
    assert_rejected("1,,2 * * * *", "empty list item");
    assert_rejected("1, * * * *", "empty list item");
    assert_rejected("5x * * * *", "unexpected 'x'");
    assert_rejected("a * * * *", "'a' is not a valid value");
    assert_rejected("* * * foo *", "'foo' is not a valid value");
    assert_rejected("* * * * monday", "'monday' is not a valid value");
    assert_rejected("* * * jan *x", "unexpected 'x'");
    assert_rejected("1-2-3 * * * *", "unexpected '-'");
    assert_rejected("99999999999999999999 * * * *", "number too long");
    assert_rejected("0 0 30 2 *", "never fires");
    assert_rejected("0 0 31 4,6,9,11 *", "never fires");
    parse_ok("0 0 29 2 *");   /* leap days exist */
    parse_ok("0 0 30 2 mon"); /* day of week restricts too: either matches */
    parse_ok("0 0 31 2,3 *"); /* one of the months has a 31st */
    char longer[400];
    memset(longer, '1', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_rejected(longer, "longer than");
}

static void test_next_basic(void **state)
{
    (void)state;
    use_tz("UTC");
    time_t t0 = utc(2024, 1, 1, 0, 7, 30);
    assert_true(next_after("*/15 * * * *", t0) == utc(2024, 1, 1, 0, 15, 0));
    assert_true(next_after("* * * * *", t0) == utc(2024, 1, 1, 0, 8, 0));
    assert_true(next_after("* * * * * *", t0) == t0 + 1);
    assert_true(next_after("*/2 * * * * *", t0) == t0 + 2);
    assert_true(next_after("*/2 * * * * *", t0 + 1) == t0 + 2);
    /* strictly after: a match at `after` itself is not returned */
    time_t midnight = utc(2024, 5, 10, 0, 0, 0);
    assert_true(next_after("0 0 * * *", midnight) == utc(2024, 5, 11, 0, 0, 0));
    assert_true(next_after("0 0 * * *", midnight - 1) == midnight);
    /* rollovers: minute, hour, day, month, year */
    assert_true(next_after("30 59 * * * *", utc(2024, 1, 1, 10, 59, 31)) ==
                utc(2024, 1, 1, 11, 59, 30));
    assert_true(next_after("0 9 * * *", utc(2024, 1, 31, 10, 0, 0)) == utc(2024, 2, 1, 9, 0, 0));
    assert_true(next_after("0 0 1 1 *", utc(2024, 12, 31, 23, 59, 59)) == utc(2025, 1, 1, 0, 0, 0));
    assert_true(next_after("0 0 31 * *", utc(2024, 4, 1, 0, 0, 0)) == utc(2024, 5, 31, 0, 0, 0));
    /* Feb 29 only in leap years */
    assert_true(next_after("0 0 29 2 *", utc(2024, 3, 1, 0, 0, 0)) == utc(2028, 2, 29, 0, 0, 0));
    /* names and lists */
    assert_true(next_after("0 12 * jan,jul mon", utc(2024, 2, 1, 0, 0, 0)) ==
                utc(2024, 7, 1, 12, 0, 0)); /* 2024-07-01 is a Monday */
    assert_true(next_after("45 23 * * sat", utc(2024, 9, 1, 0, 0, 0)) ==
                utc(2024, 9, 7, 23, 45, 0));
    /* 6 fields */
    assert_true(next_after("15 30 4 * * *", utc(2024, 1, 1, 4, 30, 15)) ==
                utc(2024, 1, 2, 4, 30, 15));
}

static void test_next_day_rule(void **state)
{
    (void)state;
    use_tz("UTC");
    time_t sep1 = utc(2024, 9, 1, 0, 0, 0); /* a Sunday */
    /* both restricted: the 13th OR a Friday */
    assert_true(next_after("0 0 13 * 5", sep1) == utc(2024, 9, 6, 0, 0, 0));
    assert_true(next_after("0 0 13 * 5", utc(2024, 9, 6, 0, 0, 0)) == utc(2024, 9, 13, 0, 0, 0));
    assert_true(next_after("0 0 2 * 5", sep1) == utc(2024, 9, 2, 0, 0, 0));
    /* a field starting with * makes it AND: days 1,14,27 that are Fridays */
    assert_true(next_after("0 0 */13 * 5", sep1) == utc(2024, 9, 27, 0, 0, 0));
    assert_true(next_after("0 0 13 * *", sep1) == utc(2024, 9, 13, 0, 0, 0));
    assert_true(next_after("0 0 * * 5", sep1) == utc(2024, 9, 6, 0, 0, 0));
    assert_true(next_after("0 0 ? * fri", sep1) == utc(2024, 9, 6, 0, 0, 0));
    /* 30 Feb never exists, but Mondays in February do */
    assert_true(next_after("0 0 30 2 mon", sep1) == utc(2025, 2, 3, 0, 0, 0));
}

static void test_next_dst(void **state)
{
    (void)state;
    use_tz("America/New_York");
    /* spring forward 2024-03-10 02:00 EST -> 03:00 EDT (07:00 UTC) */
    assert_true(next_after("0 3 * * *", utc(2024, 3, 10, 5, 0, 0)) == utc(2024, 3, 10, 7, 0, 0));
    /* 02:30 does not exist that day: the next one is the day after */
    assert_true(next_after("30 2 * * *", utc(2024, 3, 10, 5, 0, 0)) == utc(2024, 3, 11, 6, 30, 0));
    assert_true(next_after("0 * * * *", utc(2024, 3, 10, 6, 30, 0)) == utc(2024, 3, 10, 7, 0, 0));
    /* fall back 2024-11-03 02:00 EDT -> 01:00 EST: 01:xx happens twice */
    time_t first_130 = utc(2024, 11, 3, 5, 30, 0); /* 01:30 EDT */
    assert_true(next_after("30 1 * * *", utc(2024, 11, 3, 4, 0, 0)) == first_130);
    /* a fixed-time job runs once: the next is tomorrow 01:30 EST */
    assert_true(next_after("30 1 * * *", first_130) == utc(2024, 11, 4, 6, 30, 0));
    /* a frequent one runs in both passes */
    assert_true(next_after("30 * * * *", first_130) == utc(2024, 11, 3, 6, 30, 0));
    assert_true(next_after("*/2 * * * * *", first_130) == first_130 + 2);
    /* midnight in local time */
    assert_true(next_after("@daily", utc(2024, 7, 1, 12, 0, 0)) == utc(2024, 7, 2, 4, 0, 0));
    assert_true(next_after("@daily", utc(2024, 12, 1, 12, 0, 0)) == utc(2024, 12, 2, 5, 0, 0));
    use_tz("UTC");
}

static void test_next_monotonic_sweep(void **state)
{
    (void)state;
    /* Every result is after its input and matches the expression; walking
     * a year of fire times finds each one exactly once. */
    use_tz("Europe/Paris");
    struct cron_expr e = parse_ok("0 30 1,2,3 * * *");
    time_t t = utc(2024, 1, 1, 0, 0, 0), end = utc(2025, 1, 1, 0, 0, 0);
    int fires = 0;
    while (t < end) {
        time_t n;
        assert_int_equal(cron_next(&e, t, &n), 0);
        assert_true(n > t);
        if (n >= end)
            break;
        struct tm tm;
        localtime_r(&n, &tm);
        assert_int_equal(tm.tm_min, 30);
        assert_int_equal(tm.tm_sec, 0);
        assert_true(tm.tm_hour >= 1 && tm.tm_hour <= 3);
        t = n;
        fires++;
    }
    /* 366 days x 3, minus 02:30 on the spring-forward day (the repeated
     * 02:30 in October fires once) */
    assert_int_equal(fires, 366 * 3 - 1);
    use_tz("UTC");
}

/* An expression that fires once a decade (or never) is refused where the
 * config is validated; a leap-day one (every 4 years) is not. */
static void test_reachable(void **state)
{
    (void)state;
    use_tz("UTC");
    char err[256] = "";
    time_t now = utc(2026, 11, 29, 12, 0, 0);
    struct cron_expr e = parse_ok("0 9 1/7 3 */7");
    time_t next;
    assert_int_equal(cron_next(&e, now, &next), 0);
    assert_int_equal(next, utc(2037, 3, 1, 9, 0, 0));
    assert_int_equal(cron_check_reachable(&e, now, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "2037-03-01"));
    e = parse_ok("0 0 29 2 *");
    assert_int_equal(cron_check_reachable(&e, now, err, sizeof(err)), 0);
    e = parse_ok("*/5 * * * *");
    assert_int_equal(cron_check_reachable(&e, now, err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields), cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_parse_macros), cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_next_basic),   cmocka_unit_test(test_next_day_rule),
        cmocka_unit_test(test_next_dst),     cmocka_unit_test(test_next_monotonic_sweep),
        cmocka_unit_test(test_reachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
