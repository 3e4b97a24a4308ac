/* Unit tests for base/parse.c: the values users type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>

#include "base/parse.h"

static void test_sizes(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(parse_size("1024", &v), 0);
    assert_int_equal(v, 1024);
    assert_int_equal(parse_size("10M", &v), 0);
    assert_int_equal(v, 10u * 1024 * 1024);
    assert_int_equal(parse_size("10mb", &v), 0);
    assert_int_equal(v, 10u * 1024 * 1024);
    assert_int_equal(parse_size("1G", &v), 0);
    assert_int_equal(v, 1024u * 1024 * 1024);
    assert_int_equal(parse_size("1.5K", &v), 0);
    assert_int_equal(v, 1536);
    assert_int_equal(parse_size("300M", &v), 0);
    assert_int_equal(v, 300u * 1024 * 1024);
    assert_int_equal(parse_size("", &v), -EINVAL);
    assert_int_equal(parse_size("M", &v), -EINVAL);
    assert_int_equal(parse_size("10X", &v), -EINVAL);
    assert_int_equal(parse_size("-5", &v), -EINVAL);
    assert_int_equal(parse_size("10MM", &v), -EINVAL);
}

static void test_durations(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(parse_duration_ms("1500", &v), 0);
    assert_int_equal(v, 1500);
    assert_int_equal(parse_duration_ms("1.5s", &v), 0);
    assert_int_equal(v, 1500);
    assert_int_equal(parse_duration_ms("2m", &v), 0);
    assert_int_equal(v, 120000);
    assert_int_equal(parse_duration_ms("1h", &v), 0);
    assert_int_equal(v, 3600000);
    assert_int_equal(parse_duration_ms("250ms", &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(parse_duration_ms("1d", &v), 0);
    assert_int_equal(v, 86400000);
    assert_int_equal(parse_duration_ms("abc", &v), -EINVAL);
    assert_int_equal(parse_duration_ms("5y", &v), -EINVAL);
    assert_int_equal(parse_duration_ms("", &v), -EINVAL);
}

static void test_signals(void **state)
{
    (void)state;
    int s;
    assert_int_equal(parse_signal("SIGINT", &s), 0);
    assert_int_equal(s, SIGINT);
    assert_int_equal(parse_signal("term", &s), 0);
    assert_int_equal(s, SIGTERM);
    assert_int_equal(parse_signal("9", &s), 0);
    assert_int_equal(s, SIGKILL);
    assert_int_equal(parse_signal("SIGUSR2", &s), 0);
    assert_int_equal(s, SIGUSR2);
    assert_int_equal(parse_signal("SIGFOO", &s), -EINVAL);
    assert_int_equal(parse_signal("0", &s), -EINVAL);
    assert_int_equal(parse_signal("65", &s), -EINVAL);
    assert_string_equal(signal_name(SIGTERM), "SIGTERM");
    assert_null(signal_name(0));
}

static void test_ints(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(parse_int64("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(parse_int64("-1", -1, 100, &v), 0);
    assert_int_equal(v, -1);
    assert_int_equal(parse_int64("101", 0, 100, &v), -ERANGE);
    assert_int_equal(parse_int64("4x", 0, 100, &v), -EINVAL);
    assert_int_equal(parse_int64(" 4", 0, 100, &v), -EINVAL);
    assert_int_equal(parse_int64("", 0, 100, &v), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_signals),
        cmocka_unit_test(test_ints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
