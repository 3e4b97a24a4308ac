/* fuzz_app.c - normalizing the apps of a fuzzed document and checking the
 * result against config/app_config.h. */
#include "fuzz_app.h"
#include "fuzz.h"

#include "base/parse.h"
#include "config/app_config.h"
#include "config/cron_expr.h"
#include "config/listen_addr.h"
#include "config/options.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

/* Keys app_config_normalize renames (PM2 spellings): never in its output. */
static const char *const alias_keys[] = {
    "node_args", "combine_logs", "exec_interpreter", "error", "err_file", "output", "log", "cron",
};

static int is_alias(const char *k)
{
    for (size_t i = 0; i < sizeof(alias_keys) / sizeof(alias_keys[0]); i++)
        if (strcmp(k, alias_keys[i]) == 0)
            return 1;
    return 0;
}

/* Unknown keys of in that must each produce one warning. */
static size_t expected_warnings(json_t *in)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    json_object_foreach(in, k, v)
    {
        const char *ck = opt_canonical_key(k);
        if (!opt_by_key(ck) && !(strncmp(ck, "env_", 4) == 0 && ck[4]) &&
            !opt_is_ignored_pm2_key(ck))
            n++;
    }
    return n;
}

static int all_strings(json_t *a)
{
    size_t i;
    json_t *e;
    if (!json_is_array(a))
        return 0;
    json_array_foreach(a, i, e) if (!json_is_string(e)) return 0;
    return 1;
}

static void check_env(const char *key, json_t *v)
{
    const char *k;
    json_t *e;
    FUZZ_CHECK(json_is_object(v), "%s: not an object", key);
    json_object_foreach(v, k, e)
    {
        FUZZ_CHECK(*k && !strchr(k, '='), "%s: bad variable name '%s'", key, k);
        FUZZ_CHECK(json_is_string(e), "%s: variable '%s' is not a string", key, k);
    }
}

static void check_int(const char *key, json_t *v, json_int_t min, json_int_t max)
{
    FUZZ_CHECK(json_is_integer(v), "%s: not an integer", key);
    json_int_t x = json_integer_value(v);
    FUZZ_CHECK(x >= min && x <= max, "%s: %lld out of [%lld, %lld]", key, (long long)x,
               (long long)min, (long long)max);
}

/* One normalized value against its option's type. */
static void check_value(const struct opt_def *d, const char *key, json_t *v)
{
    size_t i;
    json_t *e;
    int sig;
    switch (d->type) {
    case OPT_INTERVAL:
        FUZZ_CHECK(json_is_integer(v) &&
                       (json_integer_value(v) == 0 || json_integer_value(v) >= 1000),
                   "%s: not 0 or at least 1000 ms", key);
        break;
    case OPT_ENUM: {
        int found = 0;
        FUZZ_CHECK(json_is_string(v), "%s: not a string", key);
        for (size_t k = 0; d->choices[k]; k++)
            found |= strcmp(d->choices[k], json_string_value(v)) == 0;
        FUZZ_CHECK(found, "%s: '%s' is not one of its choices", key, json_string_value(v));
        break;
    }
    case OPT_STRING:
        FUZZ_CHECK(json_is_string(v), "%s: not a string", key);
        break;
    case OPT_BOOL:
        FUZZ_CHECK(json_is_boolean(v), "%s: not a boolean", key);
        break;
    case OPT_INT:
        check_int(key, v, -1000000000, 1000000000);
        break;
    case OPT_DURATION:
        check_int(key, v, 0, 365LL * 86400000);
        break;
    case OPT_SIZE:
        check_int(key, v, 0, 1LL << 50);
        break;
    case OPT_SIGNAL:
        FUZZ_CHECK(json_is_string(v), "%s: not a string", key);
        FUZZ_CHECK(parse_signal(json_string_value(v), &sig) == 0, "%s: '%s' does not parse", key,
                   json_string_value(v));
        FUZZ_CHECK(signal_name(sig) && strcmp(signal_name(sig), json_string_value(v)) == 0,
                   "%s: '%s' is not the canonical name", key, json_string_value(v));
        FUZZ_CHECK(sig != SIGKILL && sig != SIGSTOP, "%s: %s", key, json_string_value(v));
        break;
    case OPT_ARGS:
    case OPT_STRINGS:
        FUZZ_CHECK(all_strings(v), "%s: not an array of strings", key);
        break;
    case OPT_INTS:
        FUZZ_CHECK(json_is_array(v) && json_array_size(v) <= 32, "%s: not a short array", key);
        json_array_foreach(v, i, e) check_int(key, e, -1000000, 1000000);
        break;
    case OPT_ENV:
        check_env(key, v);
        break;
    case OPT_INSTANCES:
        check_int(key, v, -1, CFG_HARD_MAX_INSTANCES);
        break;
    case OPT_BOOL_OR_STRINGS:
        FUZZ_CHECK(json_is_boolean(v) || all_strings(v), "%s: neither boolean nor strings", key);
        break;
    case OPT_LISTEN:
        FUZZ_CHECK(all_strings(v) && json_array_size(v) <= 16, "%s: not up to 16 strings", key);
        json_array_foreach(v, i, e)
        {
            struct listen_addr a;
            char canon[128];
            const char *s = json_string_value(e);
            FUZZ_CHECK(listen_addr_parse(s, &a) == 0, "%s: '%s' does not parse", key, s);
            listen_addr_format(&a, canon, sizeof(canon));
            FUZZ_CHECK(strcmp(canon, s) == 0, "%s: '%s' is not canonical ('%s')", key, s, canon);
        }
        break;
    }
}

static const char *str_or(json_t *o, const char *key, const char *def)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : def;
}

/* What check_semantics promises about the whole object. */
static void check_semantics(json_t *o)
{
    const char *s = str_or(o, "script", NULL);
    FUZZ_CHECK(s && *s, "no script in a normalized app");
    static const char *const names[] = {"name", "namespace"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char why[128];
        if ((s = str_or(o, names[i], NULL)))
            FUZZ_CHECK(app_name_check(s, why, sizeof(why)) == 0, "%s '%s' accepted: %s", names[i],
                       s, why);
    }
    /* the typed view agrees with the object */
    struct app_config cfg;
    app_config_load(&cfg, o);
    s = str_or(o, "exec_mode", "fork");
    FUZZ_CHECK((cfg.exec_mode == EXEC_CLUSTER) == !strcmp(s, "cluster"), "exec_mode disagrees");
    if ((s = str_or(o, "cron_restart", NULL))) {
        struct cron_expr e;
        char why[256];
        FUZZ_CHECK(cron_parse(s, &e, why, sizeof(why)) == 0, "cron_restart '%s': %s", s, why);
    }
    if (json_object_get(o, "port"))
        check_int("port", json_object_get(o, "port"), 0, 65535);
    FUZZ_CHECK(cfg.max_restarts >= 0, "negative max_restarts");
    FUZZ_CHECK(cfg.retain >= 0, "negative retain");
    FUZZ_CHECK(cfg.max_instances >= 1 && cfg.max_instances <= CFG_HARD_MAX_INSTANCES,
               "max_instances %lld", (long long)cfg.max_instances);
    FUZZ_CHECK(cfg.instances <= cfg.max_instances, "instances above max_instances");
    FUZZ_CHECK(cfg.kill_signal >= 1 && cfg.kill_signal <= 64, "kill_signal %d", cfg.kill_signal);
    FUZZ_CHECK(cfg.script && *cfg.script, "typed script missing");
    app_config_free(&cfg);
}

static void check_normalized(json_t *o)
{
    const char *k;
    json_t *v;
    FUZZ_CHECK(json_is_object(o), "a normalized app is not an object");
    json_object_foreach(o, k, v)
    {
        FUZZ_CHECK(!is_alias(k), "alias key '%s' kept", k);
        const struct opt_def *d = opt_by_key(k);
        if (!d) {
            FUZZ_CHECK(strncmp(k, "env_", 4) == 0 && k[4], "unknown key '%s' kept", k);
            check_env(k, v);
            continue;
        }
        check_value(d, k, v);
    }
    check_semantics(o);
}

static void check_error(const char *err, size_t errlen)
{
    size_t n = strnlen(err, errlen);
    FUZZ_CHECK(n < errlen, "error message not NUL-terminated");
    FUZZ_CHECK(n > 0, "failure without a message");
    FUZZ_CHECK(strncmp(err, "app '", 5) == 0 || strncmp(err, "an app must be", 14) == 0,
               "unexpected message shape: %s", err);
    FUZZ_CHECK(fuzz_utf8_valid(err, n),
               "message is not valid UTF-8 (a JSON reply cannot "
               "carry it): %s",
               err);
}

static void normalize_one(json_t *in)
{
    char err[1024];
    json_t *out = NULL, *warnings = json_array();
    memset(err, 0x5a, sizeof(err));
    int r = app_config_normalize(in, &out, warnings, err, sizeof(err));
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL, "returned %d", r);
        check_error(err, sizeof(err));
        json_decref(warnings);
        return;
    }
    FUZZ_CHECK(r == 0 && out, "returned %d without an object", r);
    FUZZ_CHECK(json_array_size(warnings) == expected_warnings(in),
               "%zu warnings for %zu unknown keys (one lost?)", json_array_size(warnings),
               expected_warnings(in));
    check_normalized(out);

    /* normalizing a normalized app (resurrect) changes nothing */
    json_t *again = NULL, *w2 = json_array();
    r = app_config_normalize(out, &again, w2, err, sizeof(err));
    FUZZ_CHECK(r == 0, "a normalized app is refused: %s", err);
    FUZZ_CHECK(json_array_size(w2) == 0, "a normalized app gets warnings");
    if (!json_equal(out, again)) {
        char *a = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
        char *b = json_dumps(again, JSON_SORT_KEYS | JSON_COMPACT);
        FUZZ_CHECK(0, "normalizing twice differs:\n  once:  %s\n  twice: %s", a ? a : "?",
                   b ? b : "?");
    }
    json_decref(again);
    json_decref(w2);
    json_decref(out);
    json_decref(warnings);
}

void fuzz_check_apps(json_t *root)
{
    json_t *apps = NULL;
    if (json_is_array(root)) {
        apps = json_incref(root);
    } else if (json_is_object(root)) {
        json_t *a = json_object_get(root, "apps");
        if (json_is_array(a))
            apps = json_incref(a);
        else if (json_is_object(a))
            apps = json_pack("[O]", a);
        else if (json_object_get(root, "script"))
            apps = json_pack("[O]", root);
    }
    size_t i;
    json_t *app;
    json_array_foreach(apps, i, app)
    {
        if (i >= FUZZ_APP_MAX)
            break;
        normalize_one(app);
    }
    json_decref(apps);
}
