/* yaml_json.c - YAML to jansson through libyaml's event parser. */
#include "cli/yaml_json.h"
#include "base/macros.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 64
#define YAML_MAX_VALUES 1000000 /* after alias expansion */
#define YAML_BYTES_PER_VALUE 64 /* a string weighs one value per 64 bytes: at most ~64 MB */
#define YAML_MAX_ANCHORS 4096
#define YAML_STR_TAG "tag:yaml.org,2002:str"

struct anchor {
    char *name;
    json_t *value;
    size_t weight; /* values it stands for once expanded */
};

struct yctx {
    yaml_parser_t parser;
    struct anchor *anchors;
    size_t n_anchors;
    char *err;
    size_t errlen;
    int failed;
};

static void fail_at(struct yctx *y, const yaml_mark_t *m, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void fail_at(struct yctx *y, const yaml_mark_t *m, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    if (y->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(y->err, y->errlen, "%zu:%zu: %s", m->line + 1, m->column + 1, what);
    y->failed = 1;
}

static int next_event(struct yctx *y, yaml_event_t *ev)
{
    if (yaml_parser_parse(&y->parser, ev))
        return 0;
    const yaml_mark_t *m = &y->parser.problem_mark;
    fail_at(y, m, "%s%s%s", y->parser.problem ? y->parser.problem : "syntax error",
            y->parser.context ? " " : "", y->parser.context ? y->parser.context : "");
    return -EINVAL;
}

static struct anchor *find_anchor(struct yctx *y, const char *name)
{
    /* the latest definition of a name wins */
    for (size_t i = y->n_anchors; i-- > 0;)
        if (strcmp(y->anchors[i].name, name) == 0)
            return &y->anchors[i];
    return NULL;
}

static int add_anchor(struct yctx *y, const yaml_mark_t *m, const char *name, json_t *v,
                      size_t weight)
{
    if (!name)
        return 0;
    if (y->n_anchors >= YAML_MAX_ANCHORS) {
        fail_at(y, m, "too many anchors (at most %d)", YAML_MAX_ANCHORS);
        return -E2BIG;
    }
    struct anchor *na = realloc(y->anchors, (y->n_anchors + 1) * sizeof(*na));
    if (!na) {
        fail_at(y, m, "out of memory");
        return -ENOMEM;
    }
    y->anchors = na;
    na[y->n_anchors].name = strdup(name);
    if (!na[y->n_anchors].name) {
        fail_at(y, m, "out of memory");
        return -ENOMEM;
    }
    na[y->n_anchors].value = json_incref(v);
    na[y->n_anchors].weight = weight;
    y->n_anchors++;
    return 0;
}

static int all_in(const char *s, size_t len, const char *set)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!strchr(set, s[i]))
            return 0;
    return 1;
}

static int one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return 1;
    return 0;
}

/* [-+]? ( . digits | digits ( . digits? )? ) ( [eE] [-+]? digits )? */
static int is_core_float(const char *s)
{
    size_t i = 0, before = 0, after = 0;
    if (s[i] == '-' || s[i] == '+')
        i++;
    while (s[i] >= '0' && s[i] <= '9')
        i++, before++;
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9')
            i++, after++;
    }
    if (before == 0 && after == 0)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t exp = 0;
        i++;
        if (s[i] == '-' || s[i] == '+')
            i++;
        while (s[i] >= '0' && s[i] <= '9')
            i++, exp++;
        if (exp == 0)
            return 0;
    }
    return s[i] == '\0';
}

/* A number that does not fit an integer becomes a real, like JSON parsers do. */
static json_t *integer_or_real(const char *s, int base)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, base);
    if (errno == ERANGE)
        return base == 10 ? json_real(strtod(s, NULL)) : NULL;
    return json_integer((json_int_t)v);
}

/* The YAML 1.2 core schema for a plain scalar. */
static json_t *resolve_plain(const char *s, size_t len)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    if (len == 0 || one_of(s, nulls))
        return json_null();
    if (one_of(s, trues))
        return json_true();
    if (one_of(s, falses))
        return json_false();
    if (strlen(s) == len) {
        const char *digits = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
        size_t dlen = len - (size_t)(digits - s);
        json_t *v = NULL;
        if (all_in(digits, dlen, "0123456789"))
            v = integer_or_real(s, 10);
        else if (len > 2 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, len - 2, "01234567"))
            v = integer_or_real(s + 2, 8);
        else if (len > 2 && s[0] == '0' && s[1] == 'x' &&
                 all_in(s + 2, len - 2, "0123456789abcdefABCDEF"))
            v = integer_or_real(s + 2, 16);
        else if (is_core_float(s))
            v = json_real(strtod(s, NULL));
        /* .inf and .nan have no JSON form: they stay strings */
        if (v)
            return v;
    }
    return json_stringn(s, len);
}

static json_t *scalar_value(const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!plain || (tag && strcmp(tag, YAML_STR_TAG) == 0) || (tag && strcmp(tag, "!") == 0))
        return json_stringn(s, len);
    return resolve_plain(s, len);
}

static json_t *parse_node(struct yctx *y, yaml_event_t *ev, int depth, size_t *weight);

static int add_weight(struct yctx *y, const yaml_mark_t *m, size_t *total, size_t w)
{
    if (w > YAML_MAX_VALUES || *total > YAML_MAX_VALUES - w) {
        fail_at(y, m, "document too large once aliases are expanded (at most %d values or %d MB)",
                YAML_MAX_VALUES, YAML_MAX_VALUES / (1000000 / YAML_BYTES_PER_VALUE));
        return -E2BIG;
    }
    *total += w;
    return 0;
}

static json_t *parse_sequence(struct yctx *y, const yaml_event_t *start, int depth, size_t *weight)
{
    json_t *arr = json_array();
    for (;;) {
        yaml_event_t ev;
        if (next_event(y, &ev) < 0)
            break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return arr;
        }
        size_t w = 0;
        json_t *item = parse_node(y, &ev, depth + 1, &w);
        if (!item || add_weight(y, &start->start_mark, weight, w) < 0) {
            json_decref(item);
            break;
        }
        json_array_append_new(arr, item);
    }
    json_decref(arr);
    return NULL;
}

/* Fills obj with the keys of merge (a mapping or a list of mappings) that
 * obj does not have yet: explicit keys always win over merged ones. */
static int apply_merge(struct yctx *y, const yaml_mark_t *m, json_t *obj, json_t *merge)
{
    if (json_is_object(merge)) {
        json_object_update_missing(obj, merge);
        return 0;
    }
    if (json_is_array(merge)) {
        size_t i;
        json_t *e;
        json_array_foreach(merge, i, e)
        {
            if (!json_is_object(e)) {
                fail_at(y, m, "a merge key (<<) takes a mapping or a list of mappings");
                return -EINVAL;
            }
            json_object_update_missing(obj, e);
        }
        return 0;
    }
    fail_at(y, m, "a merge key (<<) takes a mapping or a list of mappings");
    return -EINVAL;
}

/* A mapping key (ev consumed): the scalar's own text, never resolved (a key
 * written 1.50 stays "1.50"), or an alias of a string. */
static json_t *parse_key(struct yctx *y, yaml_event_t *ev, int depth)
{
    if (ev->type == YAML_SCALAR_EVENT) {
        json_t *key = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
        if (!key)
            fail_at(y, &ev->start_mark, "invalid key");
        else if (add_anchor(y, &ev->start_mark, (const char *)ev->data.scalar.anchor, key, 1) < 0) {
            json_decref(key);
            key = NULL;
        }
        yaml_event_delete(ev);
        return key;
    }
    yaml_mark_t mark = ev->start_mark;
    size_t w = 0;
    json_t *key = parse_node(y, ev, depth, &w);
    if (key && !json_is_string(key)) {
        fail_at(y, &mark, "mapping keys must be scalars");
        json_decref(key);
        key = NULL;
    }
    return key;
}

static json_t *parse_mapping(struct yctx *y, const yaml_event_t *start, int depth, size_t *weight)
{
    json_t *obj = json_object();
    json_t *merges = json_array();
    for (;;) {
        yaml_event_t kev;
        if (next_event(y, &kev) < 0)
            break;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            size_t i;
            json_t *mv;
            int ok = 1;
            json_array_foreach(merges, i, mv) if (apply_merge(y, &start->start_mark, obj, mv) < 0)
                ok = 0;
            json_decref(merges);
            if (ok)
                return obj;
            json_decref(obj);
            return NULL;
        }
        yaml_mark_t kmark = kev.start_mark;
        json_t *key = parse_key(y, &kev, depth + 1);
        if (!key)
            break;
        int is_merge = strcmp(json_string_value(key), "<<") == 0;
        yaml_event_t vev;
        if (next_event(y, &vev) < 0) {
            json_decref(key);
            break;
        }
        size_t vw = 0;
        json_t *value = parse_node(y, &vev, depth + 1, &vw);
        if (!value || add_weight(y, &kmark, weight, vw + 1) < 0) {
            json_decref(key);
            json_decref(value);
            break;
        }
        if (is_merge) {
            json_array_append_new(merges, value);
        } else if (json_object_get(obj, json_string_value(key))) {
            fail_at(y, &kmark, "duplicate key '%s'", json_string_value(key));
            json_decref(key);
            json_decref(value);
            break;
        } else {
            json_object_set_new(obj, json_string_value(key), value);
        }
        json_decref(key);
    }
    json_decref(merges);
    json_decref(obj);
    return NULL;
}

/* Builds the value that starts with ev (consumed). *weight receives the
 * number of values it stands for. */
static json_t *parse_node(struct yctx *y, yaml_event_t *ev, int depth, size_t *weight)
{
    json_t *v = NULL;
    const char *anchor = NULL;
    *weight = 1;
    if (depth > YAML_MAX_DEPTH) {
        fail_at(y, &ev->start_mark, "nesting deeper than %d levels", YAML_MAX_DEPTH);
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        struct anchor *a = find_anchor(y, (const char *)ev->data.alias.anchor);
        if (!a)
            fail_at(y, &ev->start_mark, "unknown alias '*%s'", (char *)ev->data.alias.anchor);
        else {
            v = json_incref(a->value);
            *weight = a->weight;
        }
        break;
    }
    case YAML_SCALAR_EVENT:
        anchor = (const char *)ev->data.scalar.anchor;
        /* long strings weigh more: a 3 KB string aliased 100,000 times
         * would otherwise expand a small file into 600 MB of JSON */
        *weight += ev->data.scalar.length / YAML_BYTES_PER_VALUE;
        v = scalar_value(ev);
        if (!v)
            fail_at(y, &ev->start_mark, "invalid scalar");
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = (const char *)ev->data.sequence_start.anchor;
        v = parse_sequence(y, ev, depth, weight);
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = (const char *)ev->data.mapping_start.anchor;
        v = parse_mapping(y, ev, depth, weight);
        break;
    default:
        fail_at(y, &ev->start_mark, "unexpected YAML event");
        break;
    }
    /* the anchor is registered once its node is complete, so an alias can
     * never point into its own node: no cycles */
    if (v && add_anchor(y, &ev->start_mark, anchor, v, *weight) < 0) {
        json_decref(v);
        v = NULL;
    }
    yaml_event_delete(ev);
    return v;
}

/* Expects an event of type t; consumes it. */
static int expect(struct yctx *y, yaml_event_type_t t, const char *what)
{
    yaml_event_t ev;
    if (next_event(y, &ev) < 0)
        return -EINVAL;
    int ok = ev.type == t;
    if (!ok)
        fail_at(y, &ev.start_mark, "%s", what);
    yaml_event_delete(&ev);
    return ok ? 0 : -EINVAL;
}

json_t *yaml_to_json(const char *text, size_t len, char *err, size_t errlen)
{
    struct yctx y = {.err = err, .errlen = errlen};
    json_t *root = NULL;
    if (!yaml_parser_initialize(&y.parser)) {
        snprintf(err, errlen, "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
    if (expect(&y, YAML_STREAM_START_EVENT, "expected a YAML stream") < 0)
        goto out;
    yaml_event_t ev;
    if (next_event(&y, &ev) < 0)
        goto out;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        root = json_null();
        goto out;
    }
    if (ev.type != YAML_DOCUMENT_START_EVENT) {
        fail_at(&y, &ev.start_mark, "expected a YAML document");
        yaml_event_delete(&ev);
        goto out;
    }
    yaml_event_delete(&ev);
    if (next_event(&y, &ev) < 0)
        goto out;
    size_t weight = 0;
    root = parse_node(&y, &ev, 0, &weight);
    if (root &&
        (expect(&y, YAML_DOCUMENT_END_EVENT, "expected the end of the document") < 0 ||
         expect(&y, YAML_STREAM_END_EVENT, "expected one YAML document (found several)") < 0)) {
        json_decref(root);
        root = NULL;
    }
out:
    for (size_t i = 0; i < y.n_anchors; i++) {
        free(y.anchors[i].name);
        json_decref(y.anchors[i].value);
    }
    free(y.anchors);
    yaml_parser_delete(&y.parser);
    if (!root && !y.failed)
        snprintf(err, errlen, "invalid YAML");
    return root;
}
