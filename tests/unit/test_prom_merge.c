/* test_prom_merge.c - merging instances' expositions (daemon/http/prom_merge.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/http/prom_merge.h"

static char *merged(const char *const *texts, const int64_t *ids, size_t n, struct strbuf *sb)
{
    struct prom_merge *m = prom_merge_new();
    assert_non_null(m);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(prom_merge_add(m, texts[i], strlen(texts[i]), ids[i]), 0);
    assert_int_equal(prom_merge_write(m, sb), 0);
    prom_merge_free(m);
    return sb->buf ? sb->buf : "";
}

static void test_groups_families_and_labels(void **state)
{
    (void)state;
    const char *a = "# HELP req_total Requests.\n# TYPE req_total counter\n"
                    "req_total{code=\"200\"} 3\nreq_total 1 1700000000000\n"
                    "# a comment\n"
                    "# TYPE lat histogram\nlat_bucket{le=\"+Inf\"} 2\nlat_sum 0.5\nlat_count 2\n"
                    "untyped_thing 7\n";
    const char *b = "# HELP req_total Other help.\r\n# TYPE req_total counter\r\n"
                    "req_total{code=\"500\",instance=\"x}y\\\"z\"} 4\r\n"
                    "# TYPE lat histogram\nlat_count 9\n";
    const char *texts[] = {a, b};
    int64_t ids[] = {3, 7};
    struct strbuf sb = STRBUF_INIT;
    const char *out = merged(texts, ids, 2, &sb);
    assert_string_equal(out, "# HELP req_total Requests.\n# TYPE req_total counter\n"
                             "req_total{instance=\"3\",code=\"200\"} 3\n"
                             "req_total{instance=\"3\"} 1 1700000000000\n"
                             "req_total{instance=\"7\",code=\"500\","
                             "exported_instance=\"x}y\\\"z\"} 4\n"
                             "# TYPE lat histogram\n"
                             "lat_bucket{instance=\"3\",le=\"+Inf\"} 2\n"
                             "lat_sum{instance=\"3\"} 0.5\nlat_count{instance=\"3\"} 2\n"
                             "lat_count{instance=\"7\"} 9\n"
                             "untyped_thing{instance=\"3\"} 7\n");
    strbuf_free(&sb);
}

static void test_drops_what_it_cannot_parse(void **state)
{
    (void)state;
    const char *a = "ok 1\n{bad} 2\nbroken{a=\"unterminated} 3\nbroken2{a=b} 4\n9lives 5\n"
                    "also_ok{} 6\nno_value\n";
    const char *texts[] = {a};
    int64_t ids[] = {0};
    struct strbuf sb = STRBUF_INIT;
    const char *out = merged(texts, ids, 1, &sb);
    assert_string_equal(out, "ok{instance=\"0\"} 1\nalso_ok{instance=\"0\"} 6\n");
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_families_and_labels),
        cmocka_unit_test(test_drops_what_it_cannot_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
