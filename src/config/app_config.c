/* app_config.c - validating and normalizing one app's configuration. */
#include "config/app_config.h"
#include "base/macros.h"
#include "base/parse.h"
#include "base/utf8.h"
#include "config/cron_expr.h"
#include "config/option_value.h"
#include "config/options.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Whose config is normalized, and where its error goes. */
struct ctx {
    const char *app;
    char *err;
    size_t errlen;
};

/* A copy of s fit for a message: control bytes become '?', cut at len. */
static const char *printable(const char *s, char *out, size_t len)
{
    size_t i = 0;
    for (; s[i] && i + 1 < len; i++)
        out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    out[i] = '\0';
    utf8_sanitize(out);
    return out;
}

int app_name_check(const char *name, char *why, size_t whylen)
{
    size_t len = strlen(name);
    if (len == 0 || len > CFG_MAX_NAME_LEN) {
        snprintf(why, whylen, "must be 1 to %d characters long", CFG_MAX_NAME_LEN);
        return -EINVAL;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '/') {
            snprintf(why, whylen, "must not contain '/' or control characters");
            return -EINVAL;
        }
    }
    /* numbers are names too (PM2): a target looks for a name first */
    if (!strcmp(name, "all") || !strcmp(name, ".") || !strcmp(name, "..")) {
        snprintf(why, whylen, "is reserved (a target would be ambiguous)");
        return -EINVAL;
    }
    if (name[0] == '-') {
        snprintf(why, whylen, "must not start with '-' (it would read as an option)");
        return -EINVAL;
    }
    return 0;
}

/* Checks between options and of enumerated values, after typing. */
static int check_semantics(struct ctx *c, json_t *o)
{
    const char *s;
    char why[128], shown[65];
    if ((s = json_string_value(json_object_get(o, "name"))) &&
        app_name_check(s, why, sizeof(why)) < 0)
        return option_error(c->err, c->errlen, c->app, "name", "'%s' %s",
                            printable(s, shown, sizeof(shown)), why);
    if ((s = json_string_value(json_object_get(o, "namespace"))) &&
        app_name_check(s, why, sizeof(why)) < 0)
        return option_error(c->err, c->errlen, c->app, "namespace", "'%s' %s",
                            printable(s, shown, sizeof(shown)), why);
    if ((s = json_string_value(json_object_get(o, "cron_restart")))) {
        struct cron_expr cron;
        char cron_why[256];
        if (cron_parse(s, &cron, cron_why, sizeof(cron_why)) < 0 ||
            cron_check_reachable(&cron, time(NULL), cron_why, sizeof(cron_why)) < 0)
            return option_error(c->err, c->errlen, c->app, "cron_restart",
                                "invalid cron expression '%s': %s", s, cron_why);
    }
    struct app_config cfg;
    app_config_load(&cfg, o);
    int r = 0;
    if (cfg.port < 0 || cfg.port > 65535) /* 0: no port (the default) */
        r = option_error(c->err, c->errlen, c->app, "port", "%lld is not a TCP port",
                         (long long)cfg.port);
    else if (cfg.metrics_port < 0 || cfg.metrics_port + cfg.max_instances - 1 > 65535)
        r = option_error(c->err, c->errlen, c->app, "metrics_port",
                         "%lld is not a TCP port (with one port per instance up to max_instances)",
                         (long long)cfg.metrics_port);
    else if (cfg.metrics_path &&
             (cfg.metrics_path[0] != '/' || strpbrk(cfg.metrics_path, " \t\r\n") ||
              strlen(cfg.metrics_path) > 1024))
        r = option_error(c->err, c->errlen, c->app, "metrics_path",
                         "must be an HTTP path such as /metrics");
    else if (cfg.max_restarts < 0)
        r = option_error(c->err, c->errlen, c->app, "max_restarts", "must not be negative");
    else if (cfg.retain < 0)
        r = option_error(c->err, c->errlen, c->app, "retain", "must not be negative");
    else if (cfg.max_instances < 1 || cfg.max_instances > CFG_HARD_MAX_INSTANCES)
        r = option_error(c->err, c->errlen, c->app, "max_instances", "must be between 1 and %d",
                         CFG_HARD_MAX_INSTANCES);
    else if (cfg.instances > cfg.max_instances)
        r = option_error(c->err, c->errlen, c->app, "instances",
                         "%lld is above max_instances (%lld)", (long long)cfg.instances,
                         (long long)cfg.max_instances);
    else if (cfg.balancing == BALANCE_LEAST_CONN && cfg.instances > CFG_LEAST_CONN_MAX_INSTANCES)
        r = option_error(c->err, c->errlen, c->app, "instances",
                         "%lld is above %d, the most balancing least_conn weighs",
                         (long long)cfg.instances, CFG_LEAST_CONN_MAX_INSTANCES);
    app_config_free(&cfg);
    return r;
}

int app_config_normalize(json_t *in, json_t **out, json_t *warnings, char *err, size_t errlen)
{
    struct ctx c = {"?", err, errlen};
    char namebuf[160];
    if (!json_is_object(in)) {
        snprintf(err, errlen, "an app must be a JSON object, got %s", option_type_of(in));
        return -EINVAL;
    }
    json_t *name = json_object_get(in, "name");
    json_t *script = json_object_get(in, "script");
    char raw[160];
    if (name && option_scalar_text(name, raw, sizeof(raw)) == 0)
        c.app = printable(raw, namebuf, sizeof(namebuf));
    else if (script && json_is_string(script))
        c.app = printable(json_string_value(script), namebuf, sizeof(namebuf));

    json_t *o = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        const char *k = opt_canonical_key(key);
        if (k != key && json_object_get(in, k))
            continue; /* the key itself wins over its PM2 alias */
        const struct opt_def *d = opt_by_key(k);
        json_t *nv = NULL;
        if (!d && strncmp(k, "env_", 4) == 0 && k[4]) {
            struct opt_def env_def = {.key = k, .type = OPT_ENV, .offset = OPT_NO_FIELD};
            nv = option_value_normalize(&env_def, v, c.app, c.err, c.errlen);
        } else if (!d) {
            if (warnings && !opt_is_ignored_pm2_key(k)) {
                char w[256];
                snprintf(w, sizeof(w), "app '%s': unknown option '%s' ignored", c.app, key);
                json_array_append_new(warnings, json_string(w));
            }
            continue;
        } else if (json_is_null(v)) {
            continue;
        } else {
            nv = option_value_normalize(d, v, c.app, c.err, c.errlen);
        }
        if (!nv) {
            json_decref(o);
            return -EINVAL;
        }
        json_object_set_new(o, k, nv);
    }
    /* PM2: instances without exec_mode is cluster mode */
    if (json_object_get(o, "instances") && !json_object_get(o, "exec_mode"))
        json_object_set_new(o, "exec_mode", json_string("cluster"));
    const char *sc = json_string_value(json_object_get(o, "script"));
    if (!sc || !*sc) {
        json_decref(o);
        return option_error(c.err, c.errlen, c.app, "script", "missing (what should drover run?)");
    }
    int r = check_semantics(&c, o);
    if (r < 0) {
        json_decref(o);
        return r;
    }
    *out = o;
    return 0;
}

/* Stores v (canonical, as normalize made it) into the field of d. */
static void set_field(struct app_config *cfg, const struct opt_def *d, json_t *v)
{
    void *p = (char *)cfg + d->offset;
    switch (d->type) {
    case OPT_STRING:
        *(const char **)p = json_string_value(v);
        break;
    case OPT_BOOL:
        *(int *)p = json_is_true(v);
        break;
    case OPT_INT:
    case OPT_DURATION:
    case OPT_SIZE:
    case OPT_INSTANCES:
    case OPT_INTERVAL:
        *(int64_t *)p = json_integer_value(v);
        break;
    case OPT_SIGNAL: {
        int sig = 0;
        const char *text = json_string_value(v);
        *(int *)p = text && parse_signal(text, &sig) == 0 ? sig : 0;
        break;
    }
    case OPT_ENUM: {
        const char *text = json_string_value(v);
        *(int *)p = 0;
        for (int i = 0; text && d->choices[i]; i++)
            if (!strcmp(d->choices[i], text))
                *(int *)p = i;
        break;
    }
    case OPT_ARGS:
    case OPT_STRINGS:
    case OPT_INTS:
    case OPT_ENV:
    case OPT_BOOL_OR_STRINGS:
    case OPT_LISTEN:
        *(json_t **)p = v;
        break;
    }
}

/* The defaults, normalized once from the table's texts (they live for the
 * whole process). */
static json_t *defaults_json(void)
{
    static json_t *defaults;
    if (defaults)
        return defaults;
    defaults = json_object();
    struct ctx c = {"defaults", NULL, 0};
    char err[256];
    c.err = err;
    c.errlen = sizeof(err);
    for (size_t i = 0; i < opt_table_len; i++) {
        const struct opt_def *d = &opt_table[i];
        if (!d->def || d->offset == OPT_NO_FIELD)
            continue;
        json_t *text = json_string(d->def);
        json_t *v = option_value_normalize(d, text, c.app, c.err, c.errlen);
        json_decref(text);
        if (v)
            json_object_set_new(defaults, d->key, v);
    }
    return defaults;
}

void app_config_load(struct app_config *cfg, json_t *normalized)
{
    memset(cfg, 0, sizeof(*cfg));
    json_t *defaults = defaults_json();
    for (size_t i = 0; i < opt_table_len; i++) {
        const struct opt_def *d = &opt_table[i];
        if (d->offset == OPT_NO_FIELD)
            continue;
        json_t *v = json_object_get(normalized, d->key);
        if (!v || json_is_null(v))
            v = json_object_get(defaults, d->key);
        if (v)
            set_field(cfg, d, v);
    }
    cfg->json = json_incref(normalized);
}

void app_config_free(struct app_config *cfg)
{
    json_decref(cfg->json);
    memset(cfg, 0, sizeof(*cfg));
}

const struct app_config *app_config_defaults(void)
{
    static struct app_config cfg;
    static int loaded;
    if (!loaded) {
        app_config_load(&cfg, defaults_json());
        loaded = 1;
    }
    return &cfg;
}

const char *app_config_choice(const char *key, int value)
{
    const struct opt_def *d = opt_by_key(key);
    if (!d || d->type != OPT_ENUM || value < 0)
        return "";
    for (int i = 0; d->choices[i]; i++)
        if (i == value)
            return d->choices[i];
    return "";
}

int64_t app_config_instance_cap(const struct app_config *cfg, const char **why)
{
    *why = "max_instances";
    if (cfg->balancing == BALANCE_LEAST_CONN && cfg->max_instances > CFG_LEAST_CONN_MAX_INSTANCES) {
        *why = "least_conn";
        return CFG_LEAST_CONN_MAX_INSTANCES;
    }
    return cfg->max_instances;
}
