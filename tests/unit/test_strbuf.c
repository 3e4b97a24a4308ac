/* Unit tests for base/strbuf.c: growth, limits, consume. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

static void test_append_and_printf(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(strbuf_puts(&sb, "hello"), 0);
    assert_int_equal(strbuf_printf(&sb, " %d %s", 42, "x"), 0);
    assert_string_equal(sb.buf, "hello 42 x");
    assert_int_equal(sb.len, 10);
    strbuf_consume(&sb, 6);
    assert_string_equal(sb.buf, "42 x");
    strbuf_consume(&sb, 100);
    assert_int_equal(sb.len, 0);
    assert_string_equal(sb.buf, "");
    strbuf_free(&sb);
}

static void test_limit(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb.limit = 16;
    assert_int_equal(strbuf_append(&sb, "0123456789", 10), 0);
    assert_int_equal(strbuf_append(&sb, "0123456789", 10), -E2BIG);
    assert_int_equal(sb.len, 10); /* unchanged on failure */
    assert_int_equal(strbuf_append(&sb, "012345", 6), 0);
    assert_int_equal(strbuf_putc(&sb, 'x'), -E2BIG);
    size_t len;
    char *s = strbuf_detach(&sb, &len);
    assert_int_equal(len, 16);
    assert_memory_equal(s, "0123456789012345", 16);
    free(s);
    assert_null(sb.buf);
}

static void test_growth(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 10000; i++)
        assert_int_equal(strbuf_putc(&sb, (char)('a' + i % 26)), 0);
    assert_int_equal(sb.len, 10000);
    assert_int_equal(sb.buf[9999], 'a' + 9999 % 26);
    assert_int_equal(sb.buf[10000], '\0');
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_printf),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
