/* Unit tests for runtime/readiness.c (what `drover probe` and the HAProxy
 * agent answer) and runtime/runtime_exit.c (when and with what code
 * drover-runtime exits by itself), over hand-made process lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "runtime/readiness.h"
#include "runtime/runtime_exit.h"

/* One instance of the daemon's list. */
static json_t *inst(const char *name, const char *status, int ready, int serving)
{
    return json_pack("{s:s, s:s, s:b, s:b, s:s, s:{}}", "name", name, "status", status, "ready",
                     ready, "serving", serving, "mode", "fork", "config");
}

static int drain_api(const char *app, void *ctx)
{
    (void)ctx;
    return !strcmp(app, "api");
}

static int eval(json_t *list, const char *app, enum probe_kind kind, readiness_draining_fn d,
                char *reason)
{
    int r = readiness_eval(list, app, kind, d, NULL, reason, 200);
    json_decref(list);
    return r;
}

static void test_ready_and_live(void **state)
{
    (void)state;
    char reason[200];
    assert_int_equal(
        eval(json_pack("[o, o]", inst("api", "online", 1, 0), inst("api", "launching", 0, 0)), NULL,
             PROBE_READY, NULL, reason),
        0);
    assert_string_equal(reason, "ready");
    /* no app at all: live, not ready */
    assert_int_equal(eval(json_array(), NULL, PROBE_LIVE, NULL, reason), 0);
    assert_int_equal(eval(json_array(), NULL, PROBE_READY, NULL, reason), 1);
    /* launching only: live, not ready */
    assert_int_equal(
        eval(json_pack("[o]", inst("api", "launching", 0, 0)), NULL, PROBE_READY, NULL, reason), 1);
    assert_non_null(strstr(reason, "no instance online"));
    assert_int_equal(
        eval(json_pack("[o]", inst("api", "launching", 0, 0)), NULL, PROBE_LIVE, NULL, reason), 0);
    /* every instance errored: neither */
    assert_int_equal(
        eval(json_pack("[o, o]", inst("api", "errored", 0, 0), inst("api", "errored", 0, 0)), NULL,
             PROBE_LIVE, NULL, reason),
        1);
    assert_non_null(strstr(reason, "errored"));
    /* an unknown app */
    assert_int_equal(
        eval(json_pack("[o]", inst("api", "online", 1, 0)), "nope", PROBE_READY, NULL, reason),
        -ENOENT);
}

static void test_serving_stopped_and_draining(void **state)
{
    (void)state;
    char reason[200];
    /* an instance seen serving makes serving the rule */
    assert_int_equal(
        eval(json_pack("[o, o]", inst("api", "online", 1, 1), inst("api", "online", 1, 0)), NULL,
             PROBE_READY, NULL, reason),
        0);
    json_t *cluster =
        json_pack("{s:s, s:s, s:b, s:b, s:s, s:{s:{s:s}}}", "name", "web", "status", "online",
                  "ready", 1, "serving", 0, "mode", "cluster", "config", "env", "PORT", "8000");
    assert_int_equal(eval(json_pack("[o]", cluster), NULL, PROBE_READY, NULL, reason), 1);
    assert_non_null(strstr(reason, "no instance serving"));
    /* stopped on purpose: only holds readiness back when named */
    assert_int_equal(
        eval(json_pack("[o, o]", inst("api", "online", 1, 0), inst("job", "stopped", 0, 0)), NULL,
             PROBE_READY, NULL, reason),
        0);
    assert_int_equal(
        eval(json_pack("[o]", inst("job", "stopped", 0, 0)), "job", PROBE_READY, NULL, reason), 1);
    /* draining: not ready, still live; other apps unaffected */
    assert_int_equal(
        eval(json_pack("[o]", inst("api", "online", 1, 0)), "api", PROBE_READY, drain_api, reason),
        1);
    assert_string_equal(reason, "api is draining");
    assert_int_equal(
        eval(json_pack("[o]", inst("api", "online", 1, 0)), "api", PROBE_LIVE, drain_api, reason),
        0);
    assert_int_equal(
        eval(json_pack("[o, o]", inst("api", "online", 1, 0), inst("web", "online", 1, 0)), "web",
             PROBE_READY, drain_api, reason),
        0);
}

/* An instance at rest, for runtime_exit_code. */
static json_t *ended(const char *status, const char *reason, int code, const char *sig)
{
    json_t *o = json_pack("{s:s, s:s}", "name", "app", "status", status);
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    json_object_set_new(o, "exit_code", code >= 0 ? json_integer(code) : json_null());
    if (sig)
        json_object_set_new(o, "exit_signal", json_string(sig));
    return o;
}

static int exit_code(json_t *list, int *code)
{
    *code = -1;
    int r = runtime_exit_code(list, code);
    json_decref(list);
    return r;
}

static void test_exit_codes(void **state)
{
    (void)state;
    int code;
    /* something runs or will run: no exit */
    assert_int_equal(exit_code(json_pack("[o, {s:s, s:s}]", ended("stopped", NULL, 0, NULL), "name",
                                         "b", "status", "waiting restart"),
                               &code),
                     0);
    assert_int_equal(exit_code(json_pack("[{s:s, s:s}]", "name", "b", "status", "bogus"), &code),
                     0);
    /* nothing at all: exit 0 */
    assert_int_equal(exit_code(json_array(), &code), 1);
    assert_int_equal(code, 0);
    /* stopped on request: 0 */
    assert_int_equal(exit_code(json_pack("[o]", ended("stopped", NULL, 0, NULL)), &code), 1);
    assert_int_equal(code, 0);
    /* ended and not restarted: its code, or 128 + signal */
    assert_int_equal(exit_code(json_pack("[o]", ended("stopped", "exited", 3, NULL)), &code), 1);
    assert_int_equal(code, 3);
    assert_int_equal(exit_code(json_pack("[o]", ended("stopped", "killed", -1, "SIGKILL")), &code),
                     1);
    assert_int_equal(code, 137);
    /* errored: its code, at least 1; the highest of several */
    assert_int_equal(exit_code(json_pack("[o, o]", ended("errored", "crashed", 0, NULL),
                                         ended("stopped", NULL, 0, NULL)),
                               &code),
                     1);
    assert_int_equal(code, 1);
    assert_int_equal(exit_code(json_pack("[o, o]", ended("errored", "crashed", 5, NULL),
                                         ended("stopped", "exited", 2, NULL)),
                               &code),
                     1);
    assert_int_equal(code, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_and_live),
        cmocka_unit_test(test_serving_stopped_and_draining),
        cmocka_unit_test(test_exit_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
