/* Unit tests for cli/pm2_verbs.c: the table is well formed (unique names,
 * one-line answers), lookups find every alias, and the verb section of
 * docs/pm2-migration.md is exactly what the table prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fdutil.h"
#include "cli/pm2_verbs.h"

#define DOC TEST_SRC_DIR "/../../docs/pm2-migration.md"
#define BEGIN_MARK "<!-- BEGIN pm2-verbs"
#define END_MARK "<!-- END pm2-verbs -->"

/* Calls fn with each '|'-separated name of every entry. */
static void each_name(void (*fn)(const char *name, size_t len, const struct pm2_verb *v))
{
    for (size_t i = 0; i < pm2_verbs_len; i++) {
        const char *p = pm2_verbs[i].names;
        while (*p) {
            const char *bar = strchr(p, '|');
            size_t n = bar ? (size_t)(bar - p) : strlen(p);
            fn(p, n, &pm2_verbs[i]);
            p += n + (bar != NULL);
        }
    }
}

static void check_name(const char *name, size_t len, const struct pm2_verb *v)
{
    char buf[64];
    assert_true(len > 0 && len < sizeof(buf));
    memcpy(buf, name, len);
    buf[len] = '\0';
    assert_null(strpbrk(buf, " \t`"));
    /* found, and by its own entry only: no name appears twice */
    assert_ptr_equal(pm2_verb_find(buf), v);
}

static void test_names_unique_and_found(void **state)
{
    (void)state;
    each_name(check_name);
    assert_null(pm2_verb_find("zzfrobzz"));
    assert_null(pm2_verb_find(""));
    assert_null(pm2_verb_find("das")); /* a prefix of dash is no name */
    assert_non_null(pm2_verb_find("dash"));
}

static void test_answers_are_one_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < pm2_verbs_len; i++) {
        const struct pm2_verb *v = &pm2_verbs[i];
        assert_non_null(v->note);
        assert_null(strchr(v->note, '\n'));
        if (v->status != PM2_VERB_SAME)
            assert_true(strlen(v->note) > 10);
    }
}

static void test_doc_matches_table(void **state)
{
    (void)state;
    char *doc = NULL;
    size_t doc_len = 0;
    assert_int_equal(read_file_at(AT_FDCWD, DOC, 1 << 20, &doc, &doc_len), 0);
    const char *begin = strstr(doc, BEGIN_MARK);
    assert_non_null(begin);
    const char *table = strstr(begin, "-->\n");
    assert_non_null(table);
    table += 4;
    const char *end = strstr(table, END_MARK);
    assert_non_null(end);

    char *want = NULL;
    size_t want_len = 0;
    FILE *f = open_memstream(&want, &want_len);
    assert_non_null(f);
    pm2_verbs_markdown(f);
    fclose(f);
    if ((size_t)(end - table) != want_len || memcmp(table, want, want_len) != 0)
        fail_msg("the verb section of docs/pm2-migration.md differs from the table: "
                 "regenerate it with `drover help pm2`");
    free(want);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_unique_and_found),
        cmocka_unit_test(test_answers_are_one_line),
        cmocka_unit_test(test_doc_matches_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
