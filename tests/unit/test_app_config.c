/* Unit tests for config/app_config.c and config/options.c: every option's
 * default, the canonical form of each option type, aliases, unknown keys
 * and app names. Table-driven over opt_table where possible. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/app_config.h"
#include "config/options.h"

/* --- helpers -------------------------------------------------------------- */

static json_t *json_text(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad JSON in the test: %s: %s", text, e.text);
    return v;
}

/* Normalizes {"script": "x", key: value}. Returns the result; *out is the
 * normalized object on success. */
static int normalize_one(const char *key, json_t *value, json_t **out, json_t *warnings, char *err,
                         size_t errlen)
{
    json_t *in = json_pack("{s:s}", "script", "x");
    json_object_set(in, key, value);
    *out = NULL;
    err[0] = '\0';
    int r = app_config_normalize(in, out, warnings, err, errlen);
    json_decref(in);
    return r;
}

/* The loaded config of {"script": "x"}. */
static void load_empty(struct app_config *cfg)
{
    json_t *in = json_pack("{s:s}", "script", "x"), *norm = NULL;
    char err[256];
    assert_int_equal(app_config_normalize(in, &norm, NULL, err, sizeof(err)), 0);
    json_decref(in);
    app_config_load(cfg, norm);
    json_decref(norm);
}

static const void *field(const struct app_config *cfg, const struct opt_def *d)
{
    return (const char *)cfg + d->offset;
}

/* A field as text, for messages. */
static void field_text(const struct app_config *cfg, const struct opt_def *d, char *buf, size_t len)
{
    const void *p = field(cfg, d);
    switch (d->type) {
    case OPT_STRING: {
        const char *s = *(const char *const *)p;
        snprintf(buf, len, "%s", s ? s : "(null)");
        break;
    }
    case OPT_BOOL:
    case OPT_SIGNAL:
    case OPT_ENUM:
        snprintf(buf, len, "%d", *(const int *)p);
        break;
    case OPT_INT:
    case OPT_DURATION:
    case OPT_SIZE:
    case OPT_INSTANCES:
    case OPT_INTERVAL:
        snprintf(buf, len, "%lld", (long long)*(const int64_t *)p);
        break;
    default: {
        const json_t *v = *(json_t *const *)p;
        char *dump = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        snprintf(buf, len, "%s", dump ? dump : "(null)");
        free(dump);
        break;
    }
    }
}

/* The field of d is the same in both configs (by its type). */
static int same_field(const struct app_config *a, const struct app_config *b,
                      const struct opt_def *d)
{
    const void *p = field(a, d), *q = field(b, d);
    switch (d->type) {
    case OPT_STRING: {
        const char *s = *(const char *const *)p, *t = *(const char *const *)q;
        return s && t ? strcmp(s, t) == 0 : s == t;
    }
    case OPT_BOOL:
    case OPT_SIGNAL:
    case OPT_ENUM:
        return *(const int *)p == *(const int *)q;
    case OPT_INT:
    case OPT_DURATION:
    case OPT_SIZE:
    case OPT_INSTANCES:
    case OPT_INTERVAL:
        return *(const int64_t *)p == *(const int64_t *)q;
    default: {
        const json_t *v = *(json_t *const *)p, *w = *(json_t *const *)q;
        return v && w ? json_equal((json_t *)v, (json_t *)w) : v == w;
    }
    }
}

/* The field holds nothing: NULL, or 0. */
static int field_is_unset(const struct app_config *cfg, const struct opt_def *d)
{
    const void *p = field(cfg, d);
    switch (d->type) {
    case OPT_STRING:
        return *(const char *const *)p == NULL;
    case OPT_BOOL:
    case OPT_SIGNAL:
    case OPT_ENUM:
        return *(const int *)p == 0;
    case OPT_INT:
    case OPT_DURATION:
    case OPT_SIZE:
    case OPT_INSTANCES:
    case OPT_INTERVAL:
        return *(const int64_t *)p == 0;
    default:
        return *(json_t *const *)p == NULL;
    }
}

/* --- defaults ------------------------------------------------------------- */

/* For every option: its default normalizes, and loading an app that does
 * not set it gives the field the default's value. */
static void test_defaults(void **state)
{
    (void)state;
    struct app_config empty;
    load_empty(&empty);
    int checked = 0, problems = 0;
    for (size_t i = 0; i < opt_table_len; i++) {
        const struct opt_def *d = &opt_table[i];
        if (d->offset == OPT_NO_FIELD)
            continue;
        char a[256], b[256];
        checked++;
        if (!d->def) {
            if (strcmp(d->key, "script") != 0 && !field_is_unset(&empty, d)) {
                field_text(&empty, d, a, sizeof(a));
                print_error("%s has no default but holds %s\n", d->key, a);
                problems++;
            }
            continue;
        }
        if (!same_field(&empty, app_config_defaults(), d)) {
            print_error("%s: app_config_defaults() differs from an app without it\n", d->key);
            problems++;
        }
        json_t *def = json_string(d->def), *norm;
        char err[512];
        int r = normalize_one(d->key, def, &norm, NULL, err, sizeof(err));
        json_decref(def);
        if (r != 0) {
            print_error("%s: its default '%s' does not normalize: %s\n", d->key, d->def, err);
            problems++;
            continue;
        }
        struct app_config with;
        app_config_load(&with, norm);
        json_decref(norm);
        if (!same_field(&empty, &with, d)) {
            field_text(&empty, d, a, sizeof(a));
            field_text(&with, d, b, sizeof(b));
            print_error("%s: unset gives %s, its default '%s' gives %s\n", d->key, a, d->def, b);
            problems++;
        }
        app_config_free(&with);
    }
    assert_true(checked >= 40);
    app_config_free(&empty);
    if (problems)
        fail_msg("%d option(s) disagree with their default (see above)", problems);
}

/* The defaults as README documents them, in the struct's units. */
static void test_default_values(void **state)
{
    (void)state;
    struct app_config c;
    load_empty(&c);
    assert_string_equal(c.script, "x");
    assert_string_equal(c.namespace, "default");
    assert_string_equal(c.instance_var, "NODE_APP_INSTANCE");
    assert_int_equal(c.instances, 1);
    assert_int_equal(c.exec_mode, EXEC_FORK);
    assert_int_equal(c.balancing, BALANCE_SHARED);
    assert_int_equal(c.listen_timeout_ms, 8000);
    assert_int_equal(c.autorestart, 1);
    assert_int_equal(c.autostart, 1);
    assert_int_equal(c.min_uptime_ms, 1000);
    assert_int_equal(c.max_restarts, 16);
    assert_int_equal(c.restart_delay_ms, 0);
    assert_int_equal(c.exp_backoff_ms, 0);
    assert_int_equal(c.watch_delay_ms, 300);
    assert_int_equal(c.kill_signal, SIGINT);
    assert_int_equal(c.kill_timeout_ms, 5000);
    assert_int_equal(c.log_type, LOG_TYPE_RAW);
    assert_int_equal(c.max_instances, 256);
    assert_int_equal(c.port, 0);
    assert_null(c.name);
    assert_null(c.env);
    assert_null(c.stop_exit_codes);
    assert_null(c.cron_restart);
    assert_non_null(c.json);
    app_config_free(&c);
}

/* Absent keys stay absent: the normalized object is what was given. */
static void test_absent_stay_absent(void **state)
{
    (void)state;
    json_t *in = json_text("{\"script\": \"x\", \"cwd\": null, \"kill_timeout\": \"2s\"}");
    json_t *out = NULL;
    char err[256];
    assert_int_equal(app_config_normalize(in, &out, NULL, err, sizeof(err)), 0);
    json_t *want = json_text("{\"script\": \"x\", \"kill_timeout\": 2000}");
    assert_true(json_equal(out, want));
    json_decref(want);
    json_decref(out);
    json_decref(in);
}

/* --- canonical forms, per type -------------------------------------------- */

struct norm_case {
    const char *key;
    const char *in;   /* JSON */
    const char *want; /* canonical JSON, or NULL: refused */
    const char *err_has;
};

/* clang-format off */
static const struct norm_case norm_cases[] = {
    /* OPT_STRING */
    {"cwd", "\"/srv/app\"", "\"/srv/app\"", NULL},
    {"cwd", "\"/srv/ünï ✓\"", "\"/srv/ünï ✓\"", NULL},
    {"cwd", "42", "\"42\"", NULL},
    {"cwd", "true", "\"true\"", NULL},
    {"cwd", "[]", NULL, "expected a string"},
    {"cwd", "{}", NULL, NULL},
    /* OPT_BOOL */
    {"wait_ready", "true", "true", NULL},
    {"wait_ready", "false", "false", NULL},
    {"wait_ready", "\"yes\"", "true", NULL},
    {"wait_ready", "\"TRUE\"", "true", NULL},
    {"wait_ready", "\"0\"", "false", NULL},
    {"wait_ready", "1", "true", NULL},
    {"wait_ready", "\"no\"", "false", NULL},
    {"wait_ready", "\"maybe\"", NULL, "maybe"},
    {"wait_ready", "2", NULL, NULL},
    {"wait_ready", "[]", NULL, NULL},
    /* OPT_INT */
    {"max_restarts", "5", "5", NULL},
    {"max_restarts", "\"7\"", "7", NULL},
    {"max_restarts", "0", "0", NULL},
    {"max_restarts", "\"abc\"", NULL, "abc"},
    {"max_restarts", "\"10x\"", NULL, "10x"},
    {"max_restarts", "1.5", NULL, NULL},
    {"max_restarts", "2000000000", NULL, "2000000000"},
    {"max_restarts", "-1", NULL, "negative"},
    {"retain", "-1", NULL, NULL},
    {"port", "8080", "8080", NULL},
    {"port", "0", "0", NULL}, /* no port, the default */
    {"port", "-1", NULL, "-1"},
    {"port", "65536", NULL, "65536"},
    {"max_instances", "0", NULL, NULL},
    {"max_instances", "5000", NULL, NULL},
    /* OPT_DURATION */
    {"kill_timeout", "1500", "1500", NULL},
    {"kill_timeout", "\"1500\"", "1500", NULL},
    {"kill_timeout", "\"1.5s\"", "1500", NULL},
    {"kill_timeout", "\"2m\"", "120000", NULL},
    {"kill_timeout", "\"1h\"", "3600000", NULL},
    {"kill_timeout", "250.9", "250", NULL},
    {"kill_timeout", "0", "0", NULL},
    {"kill_timeout", "-1", NULL, "-1"},
    {"kill_timeout", "\"abc\"", NULL, "abc"},
    {"kill_timeout", "\"5 parsecs\"", NULL, "5 parsecs"},
    {"kill_timeout", "\"366d\"", NULL, NULL},
    {"kill_timeout", "[]", NULL, NULL},
    {"min_uptime", "\"2s\"", "2000", NULL},
    {"restart_delay", "\"100ms\"", "100", NULL},
    /* OPT_SIZE */
    {"max_memory_restart", "\"10M\"", "10485760", NULL},
    {"max_memory_restart", "\"1G\"", "1073741824", NULL},
    {"max_memory_restart", "\"512kb\"", "524288", NULL},
    {"max_memory_restart", "2048", "2048", NULL},
    {"max_memory_restart", "-5", NULL, NULL},
    {"max_memory_restart", "\"lots\"", NULL, "lots"},
    {"max_size", "\"10M\"", "10485760", NULL},
    /* OPT_SIGNAL */
    {"kill_signal", "\"SIGTERM\"", "\"SIGTERM\"", NULL},
    {"kill_signal", "\"TERM\"", "\"SIGTERM\"", NULL},
    {"kill_signal", "\"sigterm\"", "\"SIGTERM\"", NULL},
    {"kill_signal", "15", "\"SIGTERM\"", NULL},
    {"kill_signal", "\"15\"", "\"SIGTERM\"", NULL},
    {"kill_signal", "\"SIGUSR2\"", "\"SIGUSR2\"", NULL},
    {"kill_signal", "\"SIGKILL\"", NULL, "SIGKILL"},
    {"kill_signal", "\"SIGSTOP\"", NULL, "SIGSTOP"},
    {"kill_signal", "\"SIGFOO\"", NULL, "SIGFOO"},
    {"kill_signal", "999", NULL, "999"},
    {"kill_signal", "[]", NULL, NULL},
    /* OPT_ENUM */
    {"exec_mode", "\"fork\"", "\"fork\"", NULL},
    {"exec_mode", "\"cluster\"", "\"cluster\"", NULL},
    {"exec_mode", "\"cluster_mode\"", "\"cluster\"", NULL},
    {"exec_mode", "\"fork_mode\"", "\"fork\"", NULL},
    {"exec_mode", "\"spoon\"", NULL, "spoon"},
    {"exec_mode", "[]", NULL, NULL},
    {"balancing", "\"slots\"", "\"slots\"", NULL},
    {"balancing", "\"round robin\"", NULL, "round robin"},
    {"log_type", "\"json\"", "\"json\"", NULL},
    {"log_type", "\"xml\"", NULL, "xml"},
    /* OPT_INTERVAL */
    {"rotate_interval", "\"hourly\"", "3600000", NULL},
    {"rotate_interval", "\"daily\"", "86400000", NULL},
    {"rotate_interval", "\"weekly\"", "604800000", NULL},
    {"rotate_interval", "\"6h\"", "21600000", NULL},
    {"rotate_interval", "\"1s\"", "1000", NULL},
    {"rotate_interval", "0", "0", NULL},
    {"rotate_interval", "\"500ms\"", NULL, "500ms"},
    {"rotate_interval", "500", NULL, NULL},
    {"rotate_interval", "\"sometimes\"", NULL, "sometimes"},
    /* OPT_ARGS */
    {"args", "\"a 'b c' d\"", "[\"a\", \"b c\", \"d\"]", NULL},
    {"args", "\"--port=80 \\\"x y\\\"\"", "[\"--port=80\", \"x y\"]", NULL},
    {"args", "[\"x\", 1, true]", "[\"x\", \"1\", \"true\"]", NULL},
    {"args", "5", "[\"5\"]", NULL},
    {"args", "\"\"", "[]", NULL},
    {"args", "\"'unterminated\"", NULL, "unterminated"},
    {"args", "{}", NULL, NULL},
    {"args", "[[1]]", NULL, NULL},
    {"interpreter_args", "\"--harmony --max-old-space-size=64\"",
     "[\"--harmony\", \"--max-old-space-size=64\"]", NULL},
    /* OPT_STRINGS */
    {"ignore_watch", "\"a, b ,c\"", "[\"a\", \"b\", \"c\"]", NULL},
    {"ignore_watch", "[\"x\", \"y\"]", "[\"x\", \"y\"]", NULL},
    {"ignore_watch", "\"node_modules\"", "[\"node_modules\"]", NULL},
    {"ignore_watch", "[1]", NULL, NULL},
    {"ignore_watch", "5", NULL, NULL},
    {"ignore_watch", "{}", NULL, NULL},
    /* OPT_INTS */
    {"stop_exit_codes", "0", "[0]", NULL},
    {"stop_exit_codes", "[0, 42]", "[0, 42]", NULL},
    {"stop_exit_codes", "\"3\"", "[3]", NULL},
    {"stop_exit_codes", "[-1]", "[-1]", NULL},
    {"stop_exit_codes", "[\"x\"]", NULL, "x"},
    {"stop_exit_codes", "2000000", NULL, NULL},
    {"stop_exit_codes",
     "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33]",
     NULL, "32"},
    /* OPT_ENV */
    {"env", "{\"A\": \"1\", \"B\": 2, \"C\": true, \"D\": null, \"E\": {\"x\": 1}, \"F\": \"a=b ✓\"}",
     "{\"A\": \"1\", \"B\": \"2\", \"C\": \"true\", \"E\": \"{\\\"x\\\":1}\", \"F\": \"a=b ✓\"}", NULL},
    {"env", "{}", "{}", NULL},
    {"env", "\"A=1\"", NULL, NULL},
    {"env", "{\"A=B\": \"x\"}", NULL, "A=B"},
    {"env", "{\"\": \"x\"}", NULL, NULL},
    /* OPT_INSTANCES */
    {"instances", "\"max\"", "0", NULL},
    {"instances", "\"MAX\"", "0", NULL},
    {"instances", "4", "4", NULL},
    {"instances", "\"3\"", "3", NULL},
    {"instances", "0", "0", NULL},
    {"instances", "-1", "-1", NULL},
    {"instances", "-2", "-2", NULL},
    {"instances", "-100", "-100", NULL},
    {"instances", "-5000", NULL, "-5000"},
    {"instances", "5000", NULL, NULL},
    {"instances", "300", NULL, "max_instances"},
    {"instances", "\"lots\"", NULL, "lots"},
    /* OPT_BOOL_OR_STRINGS */
    {"watch", "true", "true", NULL},
    {"watch", "\"false\"", "false", NULL},
    {"watch", "\"TRUE\"", "true", NULL},
    {"watch", "\"src,lib\"", "[\"src\", \"lib\"]", NULL},
    {"watch", "[\"a\"]", "[\"a\"]", NULL},
    {"watch", "5", NULL, NULL},
    {"watch", "[1]", NULL, NULL},
    /* OPT_LISTEN */
    {"listen", "3000", "[\"3000\"]", NULL},
    {"listen", "\"3000\"", "[\"3000\"]", NULL},
    {"listen", "\"127.0.0.1:8080\"", "[\"127.0.0.1:8080\"]", NULL},
    {"listen", "\"[0::0]:443\"", "[\"[::]:443\"]", NULL},
    {"listen", "\"3000, 3001\"", "[\"3000\", \"3001\"]", NULL},
    {"listen", "[\"3000\", \"[::1]:3001\"]", "[\"3000\", \"[::1]:3001\"]", NULL},
    {"listen", "\"nope\"", NULL, "nope"},
    {"listen", "0", NULL, NULL},
    {"listen", "70000", NULL, "70000"},
    {"listen", "\"host.example:80\"", NULL, "host.example:80"},
    /* checks between options and of values */
    {"cron_restart", "\"0 * * * *\"", "\"0 * * * *\"", NULL},
    {"cron_restart", "\"not a cron\"", NULL, "not a cron"},
    {"name", "\"web\"", "\"web\"", NULL},
    {"name", "\"a/b\"", NULL, "a/b"},
    {"namespace", "\"all\"", NULL, "all"},
};
/* clang-format on */

static void test_normalize_types(void **state)
{
    (void)state;
    int problems = 0;
    unsigned types_seen = 0;
    for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
        const struct norm_case *c = &norm_cases[i];
        const struct opt_def *d = opt_by_key(c->key);
        assert_non_null(d);
        types_seen |= 1u << d->type;
        json_t *in = json_text(c->in), *out;
        char err[512];
        int r = normalize_one(c->key, in, &out, NULL, err, sizeof(err));
        json_decref(in);
        if (c->want) {
            json_t *want = json_text(c->want);
            json_t *got = r == 0 ? json_object_get(out, c->key) : NULL;
            if (r != 0 || !got || !json_equal(got, want)) {
                char *dump = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
                print_error("%s: %s: got %s (%d %s), expected %s\n", c->key, c->in,
                            dump ? dump : "nothing", r, err, c->want);
                free(dump);
                problems++;
            }
            json_decref(want);
        } else {
            char prefix[128];
            snprintf(prefix, sizeof(prefix), "app 'x': %s: ", c->key);
            if (strcmp(c->key, "name") == 0) /* the app goes by the name refused */
                snprintf(prefix, sizeof(prefix), "': name: ");
            if (r != -EINVAL || !strstr(err, prefix) || (c->err_has && !strstr(err, c->err_has))) {
                print_error("%s: %s: got %d '%s', expected -EINVAL with '%s'%s%s\n", c->key, c->in,
                            r, err, prefix, c->err_has ? " and " : "",
                            c->err_has ? c->err_has : "");
                problems++;
            }
        }
        json_decref(out);
    }
    /* every type has cases */
    for (int t = OPT_STRING; t <= OPT_LISTEN; t++)
        if (!(types_seen & (1u << t)))
            fail_msg("no case for option type %d", t);
    if (problems)
        fail_msg("%d normalization case(s) failed (see above)", problems);
}

/* Each typed value lands in its field. */
static void test_load_typed(void **state)
{
    (void)state;
    json_t *in = json_text("{\"script\": \"app.js\", \"name\": \"web\", \"instances\": \"max\","
                           " \"exec_mode\": \"cluster_mode\", \"kill_signal\": \"TERM\","
                           " \"kill_timeout\": \"3s\", \"max_memory_restart\": \"1M\","
                           " \"log_type\": \"json\", \"balancing\": \"slots\","
                           " \"autorestart\": \"false\", \"rotate_interval\": \"daily\","
                           " \"stop_exit_codes\": [0, 3], \"env\": {\"A\": 1}}");
    json_t *norm = NULL;
    char err[256];
    assert_int_equal(app_config_normalize(in, &norm, NULL, err, sizeof(err)), 0);
    json_decref(in);
    struct app_config c;
    app_config_load(&c, norm);
    json_decref(norm);
    assert_string_equal(c.name, "web");
    assert_string_equal(c.script, "app.js");
    assert_int_equal(c.instances, 0);
    assert_int_equal(c.exec_mode, EXEC_CLUSTER);
    assert_int_equal(c.kill_signal, SIGTERM);
    assert_int_equal(c.kill_timeout_ms, 3000);
    assert_int_equal(c.max_memory_restart, 1048576);
    assert_int_equal(c.log_type, LOG_TYPE_JSON);
    assert_int_equal(c.balancing, BALANCE_SLOTS);
    assert_int_equal(c.autorestart, 0);
    assert_int_equal(c.rotate_interval_ms, 86400000);
    assert_int_equal(json_array_size(c.stop_exit_codes), 2);
    assert_string_equal(json_string_value(json_object_get(c.env, "A")), "1");
    assert_string_equal(app_config_choice("exec_mode", c.exec_mode), "cluster");
    assert_string_equal(app_config_choice("log_type", c.log_type), "json");
    assert_string_equal(app_config_choice("balancing", 7), "");
    assert_string_equal(app_config_choice("kill_signal", 0), "");
    app_config_free(&c);
    assert_null(c.json);
}

/* --- aliases and unknown keys --------------------------------------------- */

struct alias_case {
    const char *alias, *value, *canonical, *want;
};

static const struct alias_case alias_cases[] = {
    {"node_args", "\"--harmony\"", "interpreter_args", "[\"--harmony\"]"},
    {"exec_interpreter", "\"python3\"", "interpreter", "\"python3\""},
    {"err_file", "\"/tmp/e.log\"", "error_file", "\"/tmp/e.log\""},
    {"error", "\"/tmp/e2.log\"", "error_file", "\"/tmp/e2.log\""},
    {"output", "\"/tmp/o.log\"", "out_file", "\"/tmp/o.log\""},
    {"log", "\"/tmp/all.log\"", "log_file", "\"/tmp/all.log\""},
    {"combine_logs", "\"true\"", "merge_logs", "true"},
    {"cron", "\"0 3 * * *\"", "cron_restart", "\"0 3 * * *\""},
};

static void test_aliases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(alias_cases) / sizeof(alias_cases[0]); i++) {
        const struct alias_case *c = &alias_cases[i];
        json_t *v = json_text(c->value), *out, *warnings = json_array();
        char err[256];
        int r = normalize_one(c->alias, v, &out, warnings, err, sizeof(err));
        json_decref(v);
        if (r != 0)
            fail_msg("%s: refused: %s", c->alias, err);
        json_t *want = json_text(c->want);
        if (!json_equal(json_object_get(out, c->canonical), want))
            fail_msg("%s did not become %s", c->alias, c->canonical);
        if (json_object_get(out, c->alias))
            fail_msg("%s kept beside %s", c->alias, c->canonical);
        assert_int_equal(json_array_size(warnings), 0);
        json_decref(want);
        json_decref(out);
        json_decref(warnings);
    }
    /* an invalid value under an alias is refused */
    json_t *v = json_string("every full moon"), *out;
    char err[256];
    assert_int_equal(normalize_one("cron", v, &out, NULL, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "cron"));
    assert_non_null(strstr(err, "every full moon"));
    json_decref(v);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    json_t *in = json_text("{\"script\": \"x\", \"name\": \"web\", \"colour\": \"red\","
                           " \"vizion\": true, \"treekill\": false,"
                           " \"env_production\": {\"NODE_ENV\": \"production\"}}");
    json_t *warnings = json_array(), *out = NULL;
    char err[256];
    assert_int_equal(app_config_normalize(in, &out, warnings, err, sizeof(err)), 0);
    /* one warning, naming the key and the app; PM2's keys are quiet */
    assert_int_equal(json_array_size(warnings), 1);
    const char *w = json_string_value(json_array_get(warnings, 0));
    assert_non_null(strstr(w, "'colour'"));
    assert_non_null(strstr(w, "web"));
    assert_null(json_object_get(out, "colour"));
    /* PM2's agent keys are kept (jlist shows them), with nothing to do */
    assert_true(json_is_true(json_object_get(out, "vizion")));
    assert_true(json_is_false(json_object_get(out, "treekill")));
    /* env_<name> is kept, as an environment */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(out, "env_production"), "NODE_ENV")),
        "production");
    json_decref(out);
    /* warnings may be NULL */
    assert_int_equal(app_config_normalize(in, &out, NULL, err, sizeof(err)), 0);
    json_decref(out);
    json_decref(in);
    json_decref(warnings);
}

static void test_not_an_app(void **state)
{
    (void)state;
    json_t *out = NULL;
    char err[256];
    json_t *in = json_text("[1]");
    assert_int_equal(app_config_normalize(in, &out, NULL, err, sizeof(err)), -EINVAL);
    json_decref(in);
    in = json_text("{\"name\": \"web\"}");
    assert_int_equal(app_config_normalize(in, &out, NULL, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "app 'web': script:"));
    json_decref(in);
    in = json_text("{\"script\": \"\"}");
    assert_int_equal(app_config_normalize(in, &out, NULL, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "script"));
    json_decref(in);
    assert_null(out);
}

/* --- app names ------------------------------------------------------------- */

struct name_case {
    const char *name;
    int ok;
};

static void test_app_name_check(void **state)
{
    (void)state;
    char long128[129], long129[130];
    memset(long128, 'a', 128);
    long128[128] = '\0';
    memset(long129, 'a', 129);
    long129[129] = '\0';
    const struct name_case cases[] = {
        {"web", 1},   {"app-1", 1}, {"a.b", 1},   {"1a", 1},    {"ünï✓", 1},
        {"a b", 1},   {"...", 1},   {"all1", 1},  {long128, 1}, {"", 0},
        {long129, 0}, {"a/b", 0},   {"/", 0},     {"a\nb", 0},  {"a\x1b[31m", 0},
        {"a\rb", 0},  {"a\tb", 0},  {"a\x7f", 0}, {"all", 0},   {".", 0},
        {"..", 0},    {"123", 1},   {"0", 1},     {"-x", 0},    {"--help", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char why[128] = "";
        int r = app_name_check(cases[i].name, why, sizeof(why));
        if (cases[i].ok && r != 0)
            fail_msg("name #%zu refused: %s", i, why);
        if (!cases[i].ok && (r != -EINVAL || !why[0]))
            fail_msg("name #%zu accepted (%d)", i, r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),           cmocka_unit_test(test_default_values),
        cmocka_unit_test(test_absent_stay_absent), cmocka_unit_test(test_normalize_types),
        cmocka_unit_test(test_load_typed),         cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_unknown_keys),       cmocka_unit_test(test_not_an_app),
        cmocka_unit_test(test_app_name_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
