/* log_sources.c - state.json to the log files of a target. */
#include "logs/log_sources.h"
#include "base/parse.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int matches(const json_t *app, const json_t *inst, const char *target)
{
    if (strcmp(target, "all") == 0)
        return 1;
    int64_t id;
    if (parse_int64(target, 0, INT64_MAX, &id) == 0)
        return json_integer_value(json_object_get(inst, "id")) == id;
    const json_t *config = json_object_get(app, "config");
    const char *ns = str_of(config, "namespace");
    const char *name = str_of(app, "name");
    return (name && strcmp(name, target) == 0) || strcmp(ns ? ns : "default", target) == 0;
}

long log_sources_find(const struct log_sources *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i].path, path) == 0)
            return (long)i;
    return -1;
}

/* Adds one file unless it is listed already. */
static int add(struct log_sources *s, const json_t *app, const json_t *inst, enum log_stream stream,
               const char *path)
{
    const json_t *config = json_object_get(app, "config");
    char full[PATH_MAX];
    const char *cwd = str_of(config, "cwd");
    if (path[0] != '/' && cwd) {
        if (snprintf(full, sizeof(full), "%s/%s", cwd, path) >= (int)sizeof(full))
            return 0;
        path = full;
    }
    if (log_sources_find(s, path) >= 0)
        return 0;
    struct log_source *items = realloc(s->items, (s->n + 1) * sizeof(*items));
    if (!items)
        return -ENOMEM;
    s->items = items;
    struct log_source *src = &items[s->n];
    const char *log_type = str_of(config, "log_type");
    *src = (struct log_source){
        .id = json_integer_value(json_object_get(inst, "id")),
        .app_name = strdup(str_of(app, "name") ?: "?"),
        .stream = stream,
        .path = strdup(path),
        .json = log_type && strcmp(log_type, "json") == 0,
        .created_at = json_integer_value(json_object_get(inst, "created_at")),
    };
    if (!src->app_name || !src->path) {
        free(src->app_name);
        free(src->path);
        return -ENOMEM;
    }
    s->n++;
    return 0;
}

struct pick {
    const json_t *app, *inst;
    int64_t id;
};

static int by_id(const void *a, const void *b)
{
    const struct pick *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int add_instance(struct log_sources *s, const struct pick *p, unsigned streams)
{
    const char *out = str_of(p->inst, "log_out");
    const char *err = str_of(p->inst, "log_err");
    const char *combined = str_of(p->inst, "log_combined");
    int r = 0;
    if (streams & LOG_SOURCES_OUT) {
        const char *path = out ? out : combined;
        if (path && (r = add(s, p->app, p->inst, LOG_STREAM_OUT, path)) < 0)
            return r;
    }
    if (streams & LOG_SOURCES_ERR) {
        const char *path = err ? err : combined;
        if (path &&
            (r = add(s, p->app, p->inst, path == err ? LOG_STREAM_ERR : LOG_STREAM_OUT, path)) < 0)
            return r;
    }
    return 0;
}

int log_sources_parse(const char *text, size_t len, const char *target, unsigned streams,
                      struct log_sources *out)
{
    memset(out, 0, sizeof(*out));
    json_t *root = NULL;
    if (len > 0) {
        root = json_loadb(text, len, 0, NULL);
        if (!json_is_object(root)) {
            json_decref(root);
            return -EINVAL;
        }
    }
    struct pick *picks = NULL;
    size_t n_picks = 0;
    int r = 0;
    size_t i, k;
    json_t *app, *inst;
    json_array_foreach(json_object_get(root, "apps"), i, app)
    {
        json_array_foreach(json_object_get(app, "instances"), k, inst)
        {
            if (!matches(app, inst, target))
                continue;
            struct pick *np = realloc(picks, (n_picks + 1) * sizeof(*np));
            if (!np) {
                r = -ENOMEM;
                goto done;
            }
            picks = np;
            picks[n_picks++] =
                (struct pick){app, inst, json_integer_value(json_object_get(inst, "id"))};
        }
    }
    if (n_picks == 0 && strcmp(target, "all") != 0) {
        r = -ENOENT;
        goto done;
    }
    if (n_picks > 1)
        qsort(picks, n_picks, sizeof(*picks), by_id);
    for (i = 0; i < n_picks && r == 0; i++)
        r = add_instance(out, &picks[i], streams);
done:
    free(picks);
    json_decref(root);
    if (r < 0)
        log_sources_free(out);
    return r;
}

void log_sources_free(struct log_sources *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].app_name);
        free(s->items[i].path);
    }
    free(s->items);
    s->items = NULL;
    s->n = 0;
}
