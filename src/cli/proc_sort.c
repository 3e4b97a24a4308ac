/* proc_sort.c - sorting process lists (proc_sort.h). */
#include "cli/proc_sort.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What --sort takes (PM2's fields, and restarts), and the process
 * object's key it compares. */
static const struct {
    const char *name;
    const char *key;
    int is_text;
} sort_fields[] = {
    {"name", "name", 1},
    {"namespace", "namespace", 1},
    {"id", "id", 0},
    {"pid", "pid", 0},
    {"cpu", "cpu", 0},
    {"memory", "memory", 0},
    {"uptime", "uptime_ms", 0},
    {"status", "status", 1},
    {"restarts", "restarts", 0},
};

int proc_sort_parse(const char *text, struct proc_sort *s, char *err, size_t errlen)
{
    const char *colon = strchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    const char *order = colon ? colon + 1 : "asc";
    if (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
        snprintf(err, errlen, "the order is asc or desc, not '%s'", order);
        return -EINVAL;
    }
    for (size_t i = 0; i < sizeof(sort_fields) / sizeof(sort_fields[0]); i++) {
        if (strlen(sort_fields[i].name) == n && strncasecmp(sort_fields[i].name, text, n) == 0) {
            s->key = sort_fields[i].key;
            s->is_text = sort_fields[i].is_text;
            s->descending = strcmp(order, "desc") == 0;
            return 0;
        }
    }
    snprintf(err, errlen,
             "unknown field '%.*s' (name, namespace, id, pid, cpu, memory, uptime, status, "
             "restarts)",
             (int)n, text);
    return -EINVAL;
}

static double number_of(json_t *p, const char *key)
{
    /* a stopped process has no uptime, whatever the record says */
    if (!strcmp(key, "uptime_ms") && json_integer_value(json_object_get(p, "pid")) <= 0)
        return 0;
    return json_number_value(json_object_get(p, key));
}

static int compare(const void *a, const void *b, void *data)
{
    const struct proc_sort *s = data;
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int r;
    if (s->is_text) {
        const char *tx = json_string_value(json_object_get(x, s->key));
        const char *ty = json_string_value(json_object_get(y, s->key));
        r = strcmp(tx ? tx : "", ty ? ty : "");
    } else {
        double nx = number_of(x, s->key), ny = number_of(y, s->key);
        r = (nx > ny) - (nx < ny);
    }
    if (s->descending)
        r = -r;
    if (r == 0) { /* ties keep id order */
        json_int_t ix = json_integer_value(json_object_get(x, "id"));
        json_int_t iy = json_integer_value(json_object_get(y, "id"));
        r = (ix > iy) - (ix < iy);
    }
    return r;
}

void proc_sort_apply(json_t *procs, const struct proc_sort *s)
{
    size_t n = json_array_size(procs);
    json_t **items = n ? malloc(n * sizeof(*items)) : NULL;
    if (!items)
        return;
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(procs, i));
    qsort_r(items, n, sizeof(*items), compare, (void *)s);
    json_array_clear(procs);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(procs, items[i]);
    free(items);
}
