/* app_config.c - validating and normalizing one app's configuration. */
#include "config/app_config.h"
#include "base/macros.h"
#include "base/parse.h"
#include "base/utf8.h"
#include "config/argsplit.h"
#include "config/cron_expr.h"
#include "config/listen_addr.h"
#include "config/options.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct ctx {
    const char *app;
    char *err;
    size_t errlen;
};

static int fail(struct ctx *c, const char *key, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int fail(struct ctx *c, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "app '%s': %s: %s", c->app, key, what);
    utf8_sanitize(c->err); /* a value cut to fit must not break the JSON reply */
    return -EINVAL;
}

/* Text form of a scalar for messages and for string-typed options. */
static int scalar_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%g", json_real_value(v));
    else if (json_is_true(v))
        snprintf(buf, len, "true");
    else if (json_is_false(v))
        snprintf(buf, len, "false");
    else
        return -EINVAL;
    return 0;
}

static const char *type_of(const json_t *v)
{
    if (!v)
        return "nothing";
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_NULL:
        return "null";
    default:
        return "a scalar";
    }
}

static json_t *norm_bool(struct ctx *c, const char *key, json_t *v)
{
    if (json_is_boolean(v))
        return json_incref(v);
    char t[64];
    if (scalar_text(v, t, sizeof(t)) == 0) {
        if (!strcasecmp(t, "true") || !strcmp(t, "1") || !strcasecmp(t, "yes"))
            return json_true();
        if (!strcasecmp(t, "false") || !strcmp(t, "0") || !strcasecmp(t, "no"))
            return json_false();
        fail(c, key, "expected true or false, got '%s'", t);
    } else {
        fail(c, key, "expected true or false, got %s", type_of(v));
    }
    return NULL;
}

static json_t *norm_int(struct ctx *c, const char *key, json_t *v, int64_t min, int64_t max)
{
    int64_t x;
    char t[128];
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_string(v) && parse_int64(json_string_value(v), min, max, &x) == 0) {
        /* parsed */
    } else {
        if (scalar_text(v, t, sizeof(t)) == 0)
            fail(c, key, "expected an integer, got '%s'", t);
        else
            fail(c, key, "expected an integer, got %s", type_of(v));
        return NULL;
    }
    if (x < min || x > max) {
        fail(c, key, "%lld is out of range [%lld, %lld]", (long long)x, (long long)min,
             (long long)max);
        return NULL;
    }
    return json_integer(x);
}

static json_t *norm_duration(struct ctx *c, const char *key, json_t *v)
{
    int64_t ms;
    char t[128];
    if (json_is_integer(v))
        ms = json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1e15)
        ms = (int64_t)json_real_value(v);
    else if (json_is_real(v)) {
        fail(c, key, "duration %g ms is out of range", json_real_value(v));
        return NULL;
    } else if (json_is_string(v) && parse_duration_ms(json_string_value(v), &ms) == 0)
        ;
    else {
        if (scalar_text(v, t, sizeof(t)) == 0)
            fail(c, key, "invalid duration '%s' (use ms, or 1.5s, 2m, 1h)", t);
        else
            fail(c, key, "expected a duration, got %s", type_of(v));
        return NULL;
    }
    if (ms < 0 || ms > 365LL * 86400000) {
        fail(c, key, "duration %lld ms is out of range", (long long)ms);
        return NULL;
    }
    return json_integer(ms);
}

static json_t *norm_size(struct ctx *c, const char *key, json_t *v)
{
    uint64_t bytes;
    char t[128];
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        bytes = (uint64_t)json_integer_value(v);
    else if (json_is_string(v) && parse_size(json_string_value(v), &bytes) == 0)
        ;
    else {
        if (scalar_text(v, t, sizeof(t)) == 0)
            fail(c, key, "invalid size '%s' (use bytes, or 10K, 300M, 1G)", t);
        else
            fail(c, key, "expected a size, got %s", type_of(v));
        return NULL;
    }
    if (bytes > (1ULL << 50)) {
        fail(c, key, "size is out of range");
        return NULL;
    }
    return json_integer((json_int_t)bytes);
}

static json_t *norm_signal(struct ctx *c, const char *key, json_t *v)
{
    char t[64];
    int sig;
    if (scalar_text(v, t, sizeof(t)) < 0 || parse_signal(t, &sig) < 0 || !signal_name(sig)) {
        fail(c, key, "unknown signal '%s'", scalar_text(v, t, sizeof(t)) == 0 ? t : "?");
        return NULL;
    }
    if (sig == SIGKILL || sig == SIGSTOP) {
        fail(c, key, "%s cannot be a stop signal (it cannot be handled)", signal_name(sig));
        return NULL;
    }
    return json_string(signal_name(sig));
}

static json_t *norm_args(struct ctx *c, const char *key, json_t *v)
{
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            char t[4096];
            if (scalar_text(e, t, sizeof(t)) < 0) {
                json_decref(out);
                fail(c, key, "element %zu is %s, expected a string", i, type_of(e));
                return NULL;
            }
            json_array_append_new(out, json_string(json_is_string(e) ? json_string_value(e) : t));
        }
        return out;
    }
    char t[128];
    if (!json_is_string(v)) {
        if (scalar_text(v, t, sizeof(t)) == 0)
            return json_pack("[s]", t);
        fail(c, key, "expected a string or an array, got %s", type_of(v));
        return NULL;
    }
    char **argv;
    size_t n;
    if (argsplit(json_string_value(v), &argv, &n) < 0) {
        fail(c, key, "unterminated quote in '%s'", json_string_value(v));
        return NULL;
    }
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_string(argv[i]));
    argsplit_free(argv);
    return out;
}

static json_t *norm_strings(struct ctx *c, const char *key, json_t *v)
{
    json_t *out = json_array();
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e)) {
                json_decref(out);
                fail(c, key, "element %zu is %s, expected a string", i, type_of(e));
                return NULL;
            }
            json_array_append(out, e);
        }
        return out;
    }
    if (!json_is_string(v)) {
        json_decref(out);
        fail(c, key, "expected a string or an array of strings, got %s", type_of(v));
        return NULL;
    }
    const char *s = json_string_value(v);
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        while (len && (*s == ' '))
            s++, len--;
        while (len && s[len - 1] == ' ')
            len--;
        if (len)
            json_array_append_new(out, json_stringn(s, len));
        if (!comma)
            break;
        s = comma + 1;
    }
    return out;
}

static json_t *norm_ints(struct ctx *c, const char *key, json_t *v)
{
    json_t *out = json_array();
    if (!json_is_array(v)) {
        json_t *one = norm_int(c, key, v, -1000000, 1000000);
        if (!one) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, one);
        return out;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        json_t *one = norm_int(c, key, e, -1000000, 1000000);
        if (!one) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, one);
    }
    if (json_array_size(out) > 32) {
        json_decref(out);
        fail(c, key, "at most 32 exit codes");
        return NULL;
    }
    return out;
}

static json_t *norm_env(struct ctx *c, const char *key, json_t *v)
{
    if (!json_is_object(v)) {
        fail(c, key, "expected an object of variables, got %s", type_of(v));
        return NULL;
    }
    json_t *out = json_object();
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e)
    {
        char t[65536];
        if (!*k || strchr(k, '=')) {
            json_decref(out);
            fail(c, key, "invalid variable name '%s'", k);
            return NULL;
        }
        if (json_is_null(e))
            continue;
        if (json_is_object(e) || json_is_array(e)) {
            /* PM2 passes nested values as JSON text */
            char *dump = json_dumps(e, JSON_COMPACT);
            json_object_set_new(out, k, json_string(dump ? dump : ""));
            free(dump);
            continue;
        }
        if (scalar_text(e, t, sizeof(t)) < 0) {
            json_decref(out);
            fail(c, key, "variable '%s' has no usable value", k);
            return NULL;
        }
        json_object_set_new(out, k, json_string(json_is_string(e) ? json_string_value(e) : t));
    }
    return out;
}

static json_t *norm_instances(struct ctx *c, const char *key, json_t *v)
{
    if (json_is_string(v) && !strcasecmp(json_string_value(v), "max"))
        return json_integer(0);
    return norm_int(c, key, v, -1, CFG_HARD_MAX_INSTANCES);
}

static json_t *norm_bool_or_strings(struct ctx *c, const char *key, json_t *v)
{
    if (json_is_boolean(v))
        return json_incref(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcasecmp(s, "true") || !strcasecmp(s, "false"))
            return norm_bool(c, key, v);
    }
    return norm_strings(c, key, v);
}

static json_t *norm_listen(struct ctx *c, const char *key, json_t *v)
{
    json_t *list = json_is_integer(v) ? json_pack("[I]", json_integer_value(v)) : NULL;
    if (!list)
        list = norm_strings(c, key, v);
    if (!list)
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        char t[256];
        struct listen_addr a;
        scalar_text(e, t, sizeof(t));
        if (listen_addr_parse(t, &a) < 0) {
            json_decref(out);
            json_decref(list);
            fail(c, key, "invalid address '%s' (use 3000, 127.0.0.1:8080 or [::]:443)", t);
            return NULL;
        }
        char canon[128];
        listen_addr_format(&a, canon, sizeof(canon));
        json_array_append_new(out, json_string(canon));
    }
    json_decref(list);
    if (json_array_size(out) > 16) {
        json_decref(out);
        fail(c, key, "at most 16 addresses");
        return NULL;
    }
    return out;
}

/* One of the option's choices ("fork_mode" is PM2's spelling of "fork"). */
static json_t *norm_enum(struct ctx *c, const struct opt_def *d, json_t *v)
{
    char t[128], list[256] = "";
    if (scalar_text(v, t, sizeof(t)) < 0) {
        fail(c, d->key, "expected a word, got %s", type_of(v));
        return NULL;
    }
    size_t used = 0;
    for (size_t i = 0; d->choices[i]; i++) {
        size_t n = strlen(d->choices[i]);
        if (!strcmp(t, d->choices[i]) || (!strncmp(t, d->choices[i], n) && !strcmp(t + n, "_mode")))
            return json_string(d->choices[i]);
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? " or " : "", d->choices[i]);
        if (w > 0 && used + (size_t)w < sizeof(list))
            used += (size_t)w;
    }
    fail(c, d->key, "expected %s, got '%s'", list, t);
    return NULL;
}

/* hourly, daily, weekly, or a duration of at least a second, as ms. */
static json_t *norm_interval(struct ctx *c, const char *key, json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) == 0)
        return json_integer(0);
    char t[128];
    int64_t ms;
    if (scalar_text(v, t, sizeof(t)) < 0) {
        fail(c, key, "expected a period, got %s", type_of(v));
        return NULL;
    }
    if (!strcmp(t, "hourly"))
        ms = 3600000;
    else if (!strcmp(t, "daily"))
        ms = 86400000;
    else if (!strcmp(t, "weekly"))
        ms = 7 * 86400000LL;
    else if (parse_duration_ms(t, &ms) < 0 || (ms != 0 && ms < 1000)) {
        fail(c, key, "expected hourly, daily, weekly or a duration of at least 1s, got '%s'", t);
        return NULL;
    }
    return json_integer(ms);
}

static json_t *normalize_value(struct ctx *c, const struct opt_def *d, json_t *v)
{
    char t[4096];
    switch (d->type) {
    case OPT_ENUM:
        return norm_enum(c, d, v);
    case OPT_INTERVAL:
        return norm_interval(c, d->key, v);
    case OPT_STRING:
        if (scalar_text(v, t, sizeof(t)) < 0) {
            fail(c, d->key, "expected a string, got %s", type_of(v));
            return NULL;
        }
        return json_string(json_is_string(v) ? json_string_value(v) : t);
    case OPT_BOOL:
        return norm_bool(c, d->key, v);
    case OPT_INT:
        return norm_int(c, d->key, v, -1000000000, 1000000000);
    case OPT_DURATION:
        return norm_duration(c, d->key, v);
    case OPT_SIZE:
        return norm_size(c, d->key, v);
    case OPT_SIGNAL:
        return norm_signal(c, d->key, v);
    case OPT_ARGS:
        return norm_args(c, d->key, v);
    case OPT_STRINGS:
        return norm_strings(c, d->key, v);
    case OPT_INTS:
        return norm_ints(c, d->key, v);
    case OPT_ENV:
        return norm_env(c, d->key, v);
    case OPT_INSTANCES:
        return norm_instances(c, d->key, v);
    case OPT_BOOL_OR_STRINGS:
        return norm_bool_or_strings(c, d->key, v);
    case OPT_LISTEN:
        return norm_listen(c, d->key, v);
    }
    return NULL;
}

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
    if (!strcmp(name, "all") || !strcmp(name, ".") || !strcmp(name, "..") ||
        strspn(name, "0123456789") == len) {
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
        return fail(c, "name", "'%s' %s", printable(s, shown, sizeof(shown)), why);
    if ((s = json_string_value(json_object_get(o, "namespace"))) &&
        app_name_check(s, why, sizeof(why)) < 0)
        return fail(c, "namespace", "'%s' %s", printable(s, shown, sizeof(shown)), why);
    if ((s = json_string_value(json_object_get(o, "cron_restart")))) {
        struct cron_expr cron;
        char cron_why[256];
        if (cron_parse(s, &cron, cron_why, sizeof(cron_why)) < 0 ||
            cron_check_reachable(&cron, time(NULL), cron_why, sizeof(cron_why)) < 0)
            return fail(c, "cron_restart", "invalid cron expression '%s': %s", s, cron_why);
    }
    struct app_config cfg;
    app_config_load(&cfg, o);
    int r = 0;
    if (json_object_get(o, "port") && (cfg.port < 1 || cfg.port > 65535))
        r = fail(c, "port", "%lld is not a TCP port", (long long)cfg.port);
    else if (cfg.max_restarts < 0)
        r = fail(c, "max_restarts", "must not be negative");
    else if (cfg.retain < 0)
        r = fail(c, "retain", "must not be negative");
    else if (cfg.max_instances < 1 || cfg.max_instances > CFG_HARD_MAX_INSTANCES)
        r = fail(c, "max_instances", "must be between 1 and %d", CFG_HARD_MAX_INSTANCES);
    else if (cfg.instances > cfg.max_instances)
        r = fail(c, "instances", "%lld is above max_instances (%lld)", (long long)cfg.instances,
                 (long long)cfg.max_instances);
    app_config_free(&cfg);
    return r;
}

/* PM2 spellings that mean the same as one of our keys. */
static const char *canonical_key(const char *k)
{
    if (!strcmp(k, "node_args"))
        return "interpreter_args";
    if (!strcmp(k, "combine_logs"))
        return "merge_logs";
    if (!strcmp(k, "exec_interpreter"))
        return "interpreter";
    if (!strcmp(k, "error") || !strcmp(k, "err_file"))
        return "error_file";
    if (!strcmp(k, "output"))
        return "out_file";
    if (!strcmp(k, "log"))
        return "log_file";
    if (!strcmp(k, "cron"))
        return "cron_restart";
    return k;
}

int app_config_normalize(json_t *in, json_t **out, json_t *warnings, char *err, size_t errlen)
{
    struct ctx c = {"?", err, errlen};
    char namebuf[160];
    if (!json_is_object(in)) {
        snprintf(err, errlen, "an app must be a JSON object, got %s", type_of(in));
        return -EINVAL;
    }
    json_t *name = json_object_get(in, "name");
    json_t *script = json_object_get(in, "script");
    char raw[160];
    if (name && scalar_text(name, raw, sizeof(raw)) == 0)
        c.app = printable(raw, namebuf, sizeof(namebuf));
    else if (script && json_is_string(script))
        c.app = printable(json_string_value(script), namebuf, sizeof(namebuf));

    json_t *o = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        const char *k = canonical_key(key);
        const struct opt_def *d = opt_by_key(k);
        json_t *nv = NULL;
        if (!d && strncmp(k, "env_", 4) == 0 && k[4]) {
            struct opt_def env_def = {.key = k, .type = OPT_ENV, .offset = OPT_NO_FIELD};
            nv = normalize_value(&c, &env_def, v);
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
            nv = normalize_value(&c, d, v);
        }
        if (!nv) {
            json_decref(o);
            return -EINVAL;
        }
        json_object_set_new(o, k, nv);
    }
    const char *sc = json_string_value(json_object_get(o, "script"));
    if (!sc || !*sc) {
        json_decref(o);
        return fail(&c, "script", "missing (what should drover run?)");
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
        json_t *v = normalize_value(&c, d, text);
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
