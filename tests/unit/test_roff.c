/* Unit tests for cli/roff.c: what man(7) would misread is escaped
 * (hyphens, backslashes, a leading dot or quote), requests in prose pass
 * through, and synopses get their italics and bold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/roff.h"

static char *render(void (*fn)(FILE *, const char *), const char *in)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    fn(f, in);
    fclose(f);
    return out;
}

#define ASSERT_RENDERS(fn, in, want)                                                               \
    do {                                                                                           \
        char *got_ = render(fn, in);                                                               \
        assert_string_equal(got_, want);                                                           \
        free(got_);                                                                                \
    } while (0)

static void test_text(void **state)
{
    (void)state;
    ASSERT_RENDERS(roff_text, "--no-color", "\\-\\-no\\-color");
    ASSERT_RENDERS(roff_text, "a\\b", "a\\eb");
    ASSERT_RENDERS(roff_text, ".hidden", "\\&.hidden");
    ASSERT_RENDERS(roff_text, "'quoted", "\\&'quoted");
    ASSERT_RENDERS(roff_text, "x.y 'z'", "x.y 'z'");
    ASSERT_RENDERS(roff_text, "use `drover ls`", "use \\fBdrover ls\\fR");
    ASSERT_RENDERS(roff_text, "open `code", "open \\fBcode\\fR");
    ASSERT_RENDERS(roff_bold, "-i", "\\fB\\-i\\fR");
}

static void test_prose(void **state)
{
    (void)state;
    ASSERT_RENDERS(roff_prose, ".SH NAME\nx-y\n.TP\n", ".SH NAME\nx\\-y\n.TP\n");
    ASSERT_RENDERS(roff_prose, "one\n\nthree", "one\n\nthree\n");
}

static void test_synopsis(void **state)
{
    (void)state;
    ASSERT_RENDERS(roff_synopsis, "<target>... [--lines N]",
                   "\\fItarget\\fR... [\\fB\\-\\-lines\\fR N]");
    ASSERT_RENDERS(roff_synopsis, "[-m|--mini-list]", "[\\fB\\-m\\fR|\\fB\\-\\-mini\\-list\\fR]");
    ASSERT_RENDERS(roff_synopsis, "<N|+N|-N>", "\\fIN|+N|\\-N\\fR");
    ASSERT_RENDERS(roff_synopsis, "a-b", "a\\-b"); /* a hyphen inside a word is no flag */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_prose),
        cmocka_unit_test(test_synopsis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
