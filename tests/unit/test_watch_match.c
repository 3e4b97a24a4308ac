/* Unit tests for daemon/triggers/watch_match.c: which changed paths a
 * watch ignores (defaults and ignore_watch patterns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/triggers/watch_match.h"

static int ignored1(const char *pattern, const char *rel)
{
    const char *p[] = {pattern};
    return watch_ignored("/srv/app", rel, p, 1);
}

static int ignored_by_defaults(const char *rel)
{
    size_t n = 0;
    while (watch_default_ignores[n])
        n++;
    return watch_ignored("/srv/app", rel, watch_default_ignores, n);
}

static void test_defaults(void **state)
{
    (void)state;
    assert_true(ignored_by_defaults("node_modules"));
    assert_true(ignored_by_defaults("node_modules/express/index.js"));
    assert_true(ignored_by_defaults("packages/a/node_modules/x.js"));
    assert_true(ignored_by_defaults(".git"));
    assert_true(ignored_by_defaults(".git/index.lock"));
    assert_true(ignored_by_defaults("src/__pycache__/m.cpython-311.pyc"));
    assert_true(ignored_by_defaults("src/.main.py.swp"));
    assert_true(ignored_by_defaults("src/main.py~"));
    assert_true(ignored_by_defaults(".#main.py"));
    assert_false(ignored_by_defaults("src/main.py"));
    assert_false(ignored_by_defaults("node_modules_backup/x.js"));
    assert_false(ignored_by_defaults(".gitignore"));
    assert_false(ignored_by_defaults(".env"));
    assert_false(ignored_by_defaults("")); /* the root itself */
}

static void test_components(void **state)
{
    (void)state;
    assert_true(ignored1("logs", "logs"));
    assert_true(ignored1("logs", "logs/app.log"));
    assert_true(ignored1("logs", "a/b/logs/c"));
    assert_false(ignored1("logs", "logsx/a"));
    assert_false(ignored1("logs", "a/mylogs"));
    assert_true(ignored1("*.log", "out.log"));
    assert_true(ignored1("*.log", "var/out.log"));
    assert_false(ignored1("*.log", "out.log.txt"));
    assert_true(ignored1("tmp*", "a/tmp123/b"));
    assert_true(ignored1("**/*.log", "deep/er/x.log"));
    assert_true(ignored1("**/*.log", "x.log"));
}

static void test_paths(void **state)
{
    (void)state;
    assert_true(ignored1("logs/tmp", "logs/tmp"));
    assert_true(ignored1("logs/tmp", "logs/tmp/a/b.txt"));
    assert_false(ignored1("logs/tmp", "x/logs/tmp/a"));
    assert_false(ignored1("logs/tmp", "logs/tmpx"));
    assert_true(ignored1("./logs/tmp/", "logs/tmp/a"));
    assert_true(ignored1("logs/tmp/**", "logs/tmp/a"));
    assert_true(ignored1("build/*.map", "build/app.js.map"));
    assert_false(ignored1("build/*.map", "build/sub/app.js.map"));
    assert_false(ignored1("build/*.map", "build/app.js"));
    assert_true(ignored1("**/gen/out", "a/b/gen/out/c"));
    assert_true(ignored1("**/gen/out", "gen/out"));
    assert_false(ignored1("**/gen/out", "a/gen/outx"));
}

static void test_absolute(void **state)
{
    (void)state;
    assert_true(ignored1("/srv/app/data", "data/x"));
    assert_true(ignored1("/srv/app/data/", "data"));
    assert_false(ignored1("/srv/app/data", "src/data2"));
    assert_false(ignored1("/srv/other/data", "data/x"));
    assert_false(ignored1("/srv/app", "x")); /* the root itself is never ignored */
    const char *p[] = {"/srv/app/cache"};
    assert_true(watch_ignored("/srv/app/", "cache/a", p, 1));
}

static void test_lists(void **state)
{
    (void)state;
    const char *p[] = {"", "./", "uploads", "*.tmp"};
    assert_true(watch_ignored("/r", "uploads/a.png", p, 4));
    assert_true(watch_ignored("/r", "a/b.tmp", p, 4));
    assert_false(watch_ignored("/r", "src/a.js", p, 4));
    assert_false(watch_ignored("/r", "src/a.js", p, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_components),
        cmocka_unit_test(test_paths),    cmocka_unit_test(test_absolute),
        cmocka_unit_test(test_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
