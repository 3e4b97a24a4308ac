/* Unit tests for config/node_inspect.c: node's inspector port per instance
 * slot, from node's arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "config/node_inspect.h"

#define PORT(slot, ...)                                                                            \
    node_inspect_port((const char *const[]){__VA_ARGS__},                                          \
                      sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), slot)

static void test_off_without_inspect(void **state)
{
    (void)state;
    assert_int_equal(node_inspect_port(NULL, 0, 1), 0);
    assert_int_equal(PORT(1, "--require=x.js", "--max-old-space-size=100"), 0);
    assert_int_equal(PORT(1, "--inspector", "--inspect-brkx"), 0);
    /* a port alone does not enable the inspector */
    assert_int_equal(PORT(1, "--inspect-port=9300"), 0);
    assert_int_equal(PORT(1, NULL, "--debug-port=9300"), 0);
}

static void test_default_port(void **state)
{
    (void)state;
    assert_int_equal(PORT(0, "--inspect"), 9229);
    assert_int_equal(PORT(1, "--inspect"), 9230);
    assert_int_equal(PORT(3, "--inspect-brk"), 9232);
    assert_int_equal(PORT(2, "--inspect-wait"), 9231);
    assert_int_equal(PORT(1, "--inspect=0.0.0.0"), 9230); /* a host alone */
    assert_int_equal(PORT(1, "--inspect=[::1]"), 9230);
}

static void test_given_port(void **state)
{
    (void)state;
    assert_int_equal(PORT(0, "--inspect=9300"), 9300);
    assert_int_equal(PORT(2, "--inspect=9300"), 9302);
    assert_int_equal(PORT(1, "--inspect-brk=127.0.0.1:9400"), 9401);
    assert_int_equal(PORT(1, "--inspect=[::1]:9400"), 9401);
    assert_int_equal(PORT(1, "--inspect", "--inspect-port=9500"), 9501);
    assert_int_equal(PORT(1, "--debug-port=9500", "--inspect"), 9501);
    /* the last port wins, as in node */
    assert_int_equal(PORT(1, "--inspect=9300", "--inspect-port=0.0.0.0:9600"), 9601);
}

static void test_limits(void **state)
{
    (void)state;
    assert_int_equal(PORT(0, "--inspect=65535"), 65535);
    assert_int_equal(PORT(1, "--inspect=65535"), 0);
    assert_int_equal(PORT(3, "--inspect=0"), 0);        /* node picks any free port */
    assert_int_equal(PORT(1, "--inspect=70000"), 9230); /* not a port: the default */
    assert_int_equal(PORT(-1, "--inspect"), 0);
}

static void test_port_arg(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(node_inspect_port_arg(9231, buf, sizeof(buf)), "--inspect-port=9231");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_without_inspect),
        cmocka_unit_test(test_default_port),
        cmocka_unit_test(test_given_port),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_port_arg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
