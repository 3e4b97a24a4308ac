/* Unit tests for daemon/cmd/targets.c over a real registry
 * (daemon/state/registry.c): ids, app names, namespaces and "all" resolve
 * to each instance once, in id order; the first target that matches
 * nothing is named.
 *
 * targets_resolve_or_reply is the one function of targets.c that needs the
 * server (server_reply_error_code): a stub below records its call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/app_config.h"
#include "daemon/cmd/targets.h"
#include "daemon/server.h"
#include "daemon/state/registry.h"

/* --- the server's reply, stubbed ----------------------------------------- */

static int reply_code;
static char reply_text[512];

void server_reply_error_code(struct client *c, int err, const char *fmt, ...)
{
    (void)c;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reply_text, sizeof(reply_text), fmt, ap);
    va_end(ap);
    reply_code = err;
}

/* --- a registry ----------------------------------------------------------- */

static struct app *add_app(struct daemon *d, const char *name, const char *ns, int n_insts)
{
    json_t *in = json_pack("{s:s, s:s, s:s}", "script", "app.js", "name", name, "namespace", ns);
    json_t *norm = NULL;
    char err[256];
    if (app_config_normalize(in, &norm, NULL, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    json_decref(in);
    if (registry_check_new_app(&d->reg, name, ns, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    struct app *a = registry_add_app(&d->reg, name, norm, 0);
    assert_non_null(a);
    for (int i = 0; i < n_insts; i++)
        assert_non_null(registry_add_inst(&d->reg, a, -1));
    return a;
}

/* The registry most cases use:
 *   web     namespace front   ids 0 1 2, and 6 added later
 *   api     namespace back    ids 3 4, and 100 (re-adopted with its id)
 *   worker  namespace default id 5
 *   s1      namespace front   id 7
 *   idle    namespace quiet   no instance */
static void standard_registry(struct daemon *d)
{
    memset(d, 0, sizeof(*d));
    struct app *web = add_app(d, "web", "front", 3);
    struct app *api = add_app(d, "api", "back", 2);
    add_app(d, "worker", "default", 1);
    assert_non_null(registry_add_inst(&d->reg, web, -1));
    add_app(d, "s1", "front", 1);
    assert_non_null(registry_add_inst(&d->reg, api, 100));
    add_app(d, "idle", "quiet", 0);
}

/* Resolves the space-separated targets; the ids found, space-separated, go
 * into ids, the error into err. */
static int resolve(struct daemon *d, const char *targets, char *ids, size_t idslen, char *err,
                   size_t errlen)
{
    json_t *arr = json_array();
    char *copy = strdup(targets), *save = NULL;
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
        json_array_append_new(arr, json_string(t));
    free(copy);
    json_t *req = json_pack("{s:o}", "targets", arr);
    struct inst **out = (struct inst **)1;
    size_t n = 12345;
    err[0] = '\0';
    int r = targets_resolve(d, req, &out, &n, err, errlen);
    json_decref(req);
    ids[0] = '\0';
    if (r < 0) {
        assert_null(out);
        assert_int_equal(n, 0);
        return r;
    }
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(ids + used, idslen - used, "%s%lld", i ? " " : "", (long long)out[i]->id);
        assert_true(w > 0 && used + (size_t)w < idslen);
        used += (size_t)w;
    }
    free(out);
    return r;
}

struct target_case {
    const char *targets;
    int ret;
    const char *want; /* ids, or the target the error names */
};

/* clang-format off */
static const struct target_case cases[] = {
    {"all",              0, "0 1 2 3 4 5 6 7 100"},
    {"web",              0, "0 1 2 6"},
    {"api",              0, "3 4 100"},
    {"front",            0, "0 1 2 6 7"},
    {"back",             0, "3 4 100"},
    {"default",          0, "5"},
    {"2",                0, "2"},
    {"100",              0, "100"},
    {"s1 s1",            0, "7"},
    {"4 api 3 4",        0, "3 4 100"},
    {"100 0",            0, "0 100"},
    {"worker front",     0, "0 1 2 5 6 7"},
    {"all web 3 all",    0, "0 1 2 3 4 5 6 7 100"},
    {"front s1 web 6",   0, "0 1 2 6 7"},
    {"idle",             0, ""}, /* an app is found even with no instance */
    {"idle web",         0, "0 1 2 6"},
    {"nope",             -ENOENT, "nope"},
    {"web nope",         -ENOENT, "nope"},
    {"zzz web nope",     -ENOENT, "zzz"}, /* the first in the request, not in sort order */
    {"nope all nope",    -ENOENT, "nope"},
    {"999",              -ENOENT, "999"},
    {"8",                -ENOENT, "8"},
    {"-1",               -ENOENT, "-1"},
    {"Web",              -ENOENT, "Web"},
};
/* clang-format on */

static void test_resolve_cases(void **state)
{
    (void)state;
    struct daemon d;
    standard_registry(&d);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct target_case *c = &cases[i];
        char ids[256], err[512];
        int r = resolve(&d, c->targets, ids, sizeof(ids), err, sizeof(err));
        if (r != c->ret)
            fail_msg("'%s': returned %d (%s), expected %d", c->targets, r, err, c->ret);
        if (r == 0 && strcmp(ids, c->want) != 0)
            fail_msg("'%s': got ids '%s', expected '%s'", c->targets, ids, c->want);
        if (r < 0) {
            char named[64];
            snprintf(named, sizeof(named), "'%s'", c->want);
            if (!strstr(err, named))
                fail_msg("'%s': error '%s' does not name %s", c->targets, err, named);
        }
    }
    registry_free(&d.reg);
}

/* Requests that are wrong whatever the registry holds. */
static void test_resolve_bad_requests(void **state)
{
    (void)state;
    struct daemon d;
    standard_registry(&d);
    struct inst **out;
    size_t n;
    char err[256];
    const char *bad[] = {"{}", "{\"targets\": []}", "{\"targets\": \"all\"}",
                         "{\"targets\": [\"web\", 3]}", "{\"targets\": [null]}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *req = json_loads(bad[i], 0, NULL);
        assert_non_null(req);
        err[0] = '\0';
        assert_int_equal(targets_resolve(&d, req, &out, &n, err, sizeof(err)), -EINVAL);
        assert_null(out);
        assert_int_equal(n, 0);
        assert_true(err[0] != '\0');
        json_decref(req);
    }
    /* past TARGETS_MAX */
    json_t *arr = json_array();
    for (int i = 0; i <= TARGETS_MAX; i++)
        json_array_append_new(arr, json_string("all"));
    json_t *req = json_pack("{s:o}", "targets", arr);
    assert_int_equal(targets_resolve(&d, req, &out, &n, err, sizeof(err)), -E2BIG);
    assert_null(out);
    json_decref(req);
    registry_free(&d.reg);
}

/* "all" on an empty registry is no error, and no instance. */
static void test_resolve_empty_registry(void **state)
{
    (void)state;
    struct daemon d;
    memset(&d, 0, sizeof(d));
    char ids[16], err[256];
    /* PM2: `stop all` with nothing to stop is an error */
    assert_int_equal(resolve(&d, "all", ids, sizeof(ids), err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(resolve(&d, "web", ids, sizeof(ids), err, sizeof(err)), -ENOENT);
    registry_free(&d.reg);
}

/* PM2's other forms: /regex/ of names, a number that is a name before an
 * id, a script's path relative to the CLI's directory. */
static void test_resolve_pm2_forms(void **state)
{
    (void)state;
    struct daemon d;
    standard_registry(&d);
    char ids[256], err[256];
    assert_int_equal(resolve(&d, "/^w/", ids, sizeof(ids), err, sizeof(err)), 0);
    assert_string_equal(ids, "0 1 2 5 6");
    assert_int_equal(resolve(&d, "/^(api|s1)$/", ids, sizeof(ids), err, sizeof(err)), 0);
    assert_string_equal(ids, "3 4 7 100");
    assert_int_equal(resolve(&d, "/^zzz/", ids, sizeof(ids), err, sizeof(err)), -ENOENT);
    assert_int_equal(resolve(&d, "/[/", ids, sizeof(ids), err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "regular expression"));

    /* an app called "3": "3" is that app (id 101), "4" still the id */
    add_app(&d, "3", "default", 1);
    assert_int_equal(resolve(&d, "3", ids, sizeof(ids), err, sizeof(err)), 0);
    assert_string_equal(ids, "101");
    assert_int_equal(resolve(&d, "4", ids, sizeof(ids), err, sizeof(err)), 0);
    assert_string_equal(ids, "4");

    /* a script path: relative to "cwd", with dots, or absolute */
    json_t *in = json_pack("{s:s, s:s}", "script", "/srv/app/server.js", "name", "srv");
    json_t *norm = NULL;
    assert_int_equal(app_config_normalize(in, &norm, NULL, err, sizeof(err)), 0);
    json_decref(in);
    struct app *srv = registry_add_app(&d.reg, "srv", norm, 0);
    assert_non_null(srv);
    assert_non_null(registry_add_inst(&d.reg, srv, -1));
    const char *forms[] = {"server.js", "./server.js", "../app/server.js", "/srv/app/server.js"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        json_t *req = json_pack("{s:[s], s:s}", "targets", forms[i], "cwd", "/srv/app");
        struct inst **out = NULL;
        size_t n = 0;
        assert_int_equal(targets_resolve(&d, req, &out, &n, err, sizeof(err)), 0);
        assert_int_equal(n, 1);
        assert_ptr_equal(out[0]->app, srv);
        free(out);
        json_decref(req);
    }
    assert_int_equal(resolve(&d, "server.js", ids, sizeof(ids), err, sizeof(err)), -ENOENT);
    registry_free(&d.reg);
}

/* The same request twice gives the same answer (the marks of one pass do
 * not leak into the next). */
static void test_resolve_repeatable(void **state)
{
    (void)state;
    struct daemon d;
    standard_registry(&d);
    char a[256], b[256], err[256];
    assert_int_equal(resolve(&d, "web 5", a, sizeof(a), err, sizeof(err)), 0);
    assert_int_equal(resolve(&d, "api", b, sizeof(b), err, sizeof(err)), 0);
    assert_string_equal(b, "3 4 100");
    assert_int_equal(resolve(&d, "web 5", b, sizeof(b), err, sizeof(err)), 0);
    assert_string_equal(a, b);
    assert_string_equal(a, "0 1 2 5 6");
    registry_free(&d.reg);
}

#define BIG_APPS 20
#define BIG_PER_APP 100
#define BIG_REPEATS 10000

static void big_registry(struct daemon *d)
{
    memset(d, 0, sizeof(*d));
    for (int a = 0; a < BIG_APPS; a++) {
        char name[32], ns[32];
        snprintf(name, sizeof(name), "app%d", a);
        snprintf(ns, sizeof(ns), "ns%d", a % 4);
        add_app(d, name, ns, BIG_PER_APP);
    }
    assert_int_equal(d->reg.n_insts, BIG_APPS * BIG_PER_APP);
}

static void resolve_big(struct daemon *d, json_t *arr, size_t want_n)
{
    json_t *req = json_pack("{s:o}", "targets", arr);
    struct inst **out;
    size_t n;
    char err[256];
    int r = targets_resolve(d, req, &out, &n, err, sizeof(err));
    if (r != 0)
        fail_msg("%d: %s", r, err);
    assert_int_equal(n, want_n);
    for (size_t i = 1; i < n; i++)
        assert_true(out[i - 1]->id < out[i]->id);
    free(out);
    json_decref(req);
}

/* 10,000 repeats on 2,000 instances: each instance once. */
static void test_resolve_many_repeats(void **state)
{
    (void)state;
    struct daemon d;
    big_registry(&d);
    json_t *arr = json_array();
    for (int i = 0; i < BIG_REPEATS; i++)
        json_array_append_new(arr, json_string("all"));
    resolve_big(&d, arr, BIG_APPS * BIG_PER_APP);

    arr = json_array();
    for (int i = 0; i < BIG_REPEATS; i++) {
        char t[32];
        if (i % 3 == 0)
            snprintf(t, sizeof(t), "app%d", i % BIG_APPS);
        else if (i % 3 == 1)
            snprintf(t, sizeof(t), "ns%d", i % 4);
        else
            snprintf(t, sizeof(t), "%d", i % (BIG_APPS * BIG_PER_APP));
        json_array_append_new(arr, json_string(t));
    }
    resolve_big(&d, arr, BIG_APPS * BIG_PER_APP);

    /* one namespace, many times: its 5 apps */
    arr = json_array();
    for (int i = 0; i < BIG_REPEATS; i++)
        json_array_append_new(arr, json_string("ns1"));
    resolve_big(&d, arr, (BIG_APPS / 4) * BIG_PER_APP);
    registry_free(&d.reg);
}

/* The reply names the unknown target with code ENOENT; nothing on success. */
static void test_resolve_or_reply(void **state)
{
    (void)state;
    struct daemon d;
    standard_registry(&d);
    struct inst **out;
    size_t n;
    reply_code = 0;
    json_t *req = json_pack("{s:[s,s]}", "targets", "web", "ghost");
    assert_int_equal(targets_resolve_or_reply(&d, NULL, req, &out, &n), -ENOENT);
    assert_int_equal(reply_code, -ENOENT);
    assert_non_null(strstr(reply_text, "'ghost'"));
    json_decref(req);

    reply_code = 0;
    req = json_pack("{s:[s]}", "targets", "api");
    assert_int_equal(targets_resolve_or_reply(&d, NULL, req, &out, &n), 0);
    assert_int_equal(reply_code, 0);
    assert_int_equal(n, 3);
    free(out);
    json_decref(req);

    req = json_pack("{s:[]}", "targets");
    assert_int_equal(targets_resolve_or_reply(&d, NULL, req, &out, &n), -EINVAL);
    assert_int_equal(reply_code, -EINVAL);
    json_decref(req);
    registry_free(&d.reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_cases),          cmocka_unit_test(test_resolve_bad_requests),
        cmocka_unit_test(test_resolve_empty_registry), cmocka_unit_test(test_resolve_repeatable),
        cmocka_unit_test(test_resolve_pm2_forms),      cmocka_unit_test(test_resolve_many_repeats),
        cmocka_unit_test(test_resolve_or_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
