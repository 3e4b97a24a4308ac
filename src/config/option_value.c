/* option_value.c - normalizing one option value to its canonical form
 * (option_value.h). */
#include "config/option_value.h"
#include "base/macros.h"
#include "base/parse.h"
#include "base/utf8.h"
#include "config/app_config.h"
#include "config/argsplit.h"
#include "config/listen_addr.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct ctx {
    const char *app;
    char *err;
    size_t errlen;
};

int option_error(char *err, size_t errlen, const char *app, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "app '%s': %s: %s", app, key, what);
    utf8_sanitize(err); /* a value cut to fit must not break the JSON reply */
    return -EINVAL;
}

#define fail(c, key, ...) option_error((c)->err, (c)->errlen, (c)->app, key, __VA_ARGS__)

/* Text form of a scalar for messages and for string-typed options. */
int option_scalar_text(const json_t *v, char *buf, size_t len)
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

const char *option_type_of(const json_t *v)
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
    if (option_scalar_text(v, t, sizeof(t)) == 0) {
        if (!strcasecmp(t, "true") || !strcmp(t, "1") || !strcasecmp(t, "yes"))
            return json_true();
        if (!strcasecmp(t, "false") || !strcmp(t, "0") || !strcasecmp(t, "no"))
            return json_false();
        fail(c, key, "expected true or false, got '%s'", t);
    } else {
        fail(c, key, "expected true or false, got %s", option_type_of(v));
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
        if (option_scalar_text(v, t, sizeof(t)) == 0)
            fail(c, key, "expected an integer, got '%s'", t);
        else
            fail(c, key, "expected an integer, got %s", option_type_of(v));
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
        if (option_scalar_text(v, t, sizeof(t)) == 0)
            fail(c, key, "invalid duration '%s' (use ms, or 1.5s, 2m, 1h)", t);
        else
            fail(c, key, "expected a duration, got %s", option_type_of(v));
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
        if (option_scalar_text(v, t, sizeof(t)) == 0)
            fail(c, key, "invalid size '%s' (use bytes, or 10K, 300M, 1G)", t);
        else
            fail(c, key, "expected a size, got %s", option_type_of(v));
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
    if (option_scalar_text(v, t, sizeof(t)) < 0 || parse_signal(t, &sig) < 0 || !signal_name(sig)) {
        fail(c, key, "unknown signal '%s'", option_scalar_text(v, t, sizeof(t)) == 0 ? t : "?");
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
            if (option_scalar_text(e, t, sizeof(t)) < 0) {
                json_decref(out);
                fail(c, key, "element %zu is %s, expected a string", i, option_type_of(e));
                return NULL;
            }
            json_array_append_new(out, json_string(json_is_string(e) ? json_string_value(e) : t));
        }
        return out;
    }
    char t[128];
    if (!json_is_string(v)) {
        if (option_scalar_text(v, t, sizeof(t)) == 0)
            return json_pack("[s]", t);
        fail(c, key, "expected a string or an array, got %s", option_type_of(v));
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
                fail(c, key, "element %zu is %s, expected a string", i, option_type_of(e));
                return NULL;
            }
            json_array_append(out, e);
        }
        return out;
    }
    if (!json_is_string(v)) {
        json_decref(out);
        fail(c, key, "expected a string or an array of strings, got %s", option_type_of(v));
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
        fail(c, key, "expected an object of variables, got %s", option_type_of(v));
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
        if (option_scalar_text(e, t, sizeof(t)) < 0) {
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
    return norm_int(c, key, v, -CFG_HARD_MAX_INSTANCES, CFG_HARD_MAX_INSTANCES);
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
        option_scalar_text(e, t, sizeof(t));
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
    if (option_scalar_text(v, t, sizeof(t)) < 0) {
        fail(c, d->key, "expected a word, got %s", option_type_of(v));
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
    if (option_scalar_text(v, t, sizeof(t)) < 0) {
        fail(c, key, "expected a period, got %s", option_type_of(v));
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
        if (option_scalar_text(v, t, sizeof(t)) < 0) {
            fail(c, d->key, "expected a string, got %s", option_type_of(v));
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

json_t *option_value_normalize(const struct opt_def *d, json_t *v, const char *app, char *err,
                               size_t errlen)
{
    struct ctx c = {app, err, errlen};
    return normalize_value(&c, d, v);
}
