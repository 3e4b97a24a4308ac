/* Unit tests for cli/yaml_json.c: the core schema, quoting, anchors and
 * merge keys, and the documents that must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/yaml_json.h"

/* Parses text and returns its compact, key-sorted JSON (caller frees), or
 * "ERR <message>". */
static char *convert(const char *text)
{
    char err[256];
    json_t *v = yaml_to_json(text, strlen(text), err, sizeof(err));
    if (!v) {
        char *out = malloc(300);
        snprintf(out, 300, "ERR %s", err);
        return out;
    }
    char *out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(v);
    return out;
}

static void expect(const char *yaml, const char *json)
{
    char *got = convert(yaml);
    assert_string_equal(got, json);
    free(got);
}

static void expect_error(const char *yaml, const char *fragment)
{
    char *got = convert(yaml);
    if (strncmp(got, "ERR ", 4) != 0 || !strstr(got, fragment))
        fail_msg("expected an error with '%s', got %s", fragment, got);
    free(got);
}

static void test_core_schema(void **state)
{
    (void)state;
    expect("[true, True, FALSE, null, ~, Null, 12, -3, +4, 0x1F, 0o17, 1.5, -.5, 1e3, 2.]",
           "[true,true,false,null,null,null,12,-3,4,31,15,1.5,-0.5,1000.0,2.0]");
    /* YAML 1.1 words and things that only look like numbers stay strings */
    expect("[yes, no, on, off, 1_000, 0x, -0o7, .inf, .nan, 12abc]",
           "[\"yes\",\"no\",\"on\",\"off\",\"1_000\",\"0x\",\"-0o7\",\".inf\",\".nan\","
           "\"12abc\"]");
    expect("a:\nb: ''\n", "{\"a\":null,\"b\":\"\"}");
    expect("big: 99999999999999999999\n", "{\"big\":1e20}");
}

static void test_quoted_and_tagged_stay_strings(void **state)
{
    (void)state;
    expect("- \"true\"\n- '12'\n- \"~\"\n- !!str 3\n- !!str true\n- |\n  block\n",
           "[\"true\",\"12\",\"~\",\"3\",\"true\",\"block\\n\"]");
    /* keys are the scalar's text, never resolved */
    expect("{1.50: a, true: b, ~: c}", "{\"1.50\":\"a\",\"true\":\"b\",\"~\":\"c\"}");
}

static void test_anchors_and_merge(void **state)
{
    (void)state;
    expect("base: &b {x: 1, y: 2}\n"
           "app:\n  <<: *b\n  y: 3\n  z: *b\n",
           "{\"app\":{\"x\":1,\"y\":3,\"z\":{\"x\":1,\"y\":2}},\"base\":{\"x\":1,\"y\":2}}");
    expect("a: &a {k: 1}\nb: &b {k: 2, m: 2}\nc:\n  <<: [*a, *b]\n",
           "{\"a\":{\"k\":1},\"b\":{\"k\":2,\"m\":2},\"c\":{\"k\":1,\"m\":2}}");
    expect("", "null");
}

static void test_refused_documents(void **state)
{
    (void)state;
    expect_error("a: 1\na: 2\n", "2:1: duplicate key 'a'");
    expect_error("a: &a [1, *a]\n", "unknown alias");
    expect_error("--- 1\n--- 2\n", "several");
    expect_error("a: [1, 2\n", "2:1:");
    expect_error("a: {[1]: 2}\n", "keys must be scalars");
    expect_error("a:\n  <<: 3\n", "merge key");
    /* a billion laughs: refused before it is expanded */
    char doc[4096] = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 8; i++) {
        size_t len = strlen(doc);
        snprintf(doc + len, sizeof(doc) - len, "l%d: &l%d [", i, i);
        for (int k = 0; k < 10; k++) {
            len = strlen(doc);
            snprintf(doc + len, sizeof(doc) - len, "%s*l%d", k ? ", " : "", i - 1);
        }
        len = strlen(doc);
        snprintf(doc + len, sizeof(doc) - len, "]\n");
    }
    expect_error(doc, "too large");
    char deep[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    expect_error(deep, "nesting");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_schema),
        cmocka_unit_test(test_quoted_and_tagged_stay_strings),
        cmocka_unit_test(test_anchors_and_merge),
        cmocka_unit_test(test_refused_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
