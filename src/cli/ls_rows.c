/* ls_rows.c - the `ls` table's rows (ls_rows.h). */
#include "cli/ls_rows.h"
#include "proto/ls_rows.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Cuts the next tab- (or end-) terminated field out of *p. */
static char *next_field(char **p, char end)
{
    char *f = *p, *sep = f;
    while (*sep && *sep != '\t' && *sep != end)
        sep++;
    *p = *sep == '\t' ? sep + 1 : sep;
    if (*sep == '\t')
        *sep = '\0';
    return f;
}

static int parse_line(char *line, struct ls_row *row)
{
    char *p = line, *f[LS_ROWS_NFIELDS];
    for (int i = 0; i < LS_ROWS_NFIELDS; i++) {
        if (!*p && i > 0)
            return -EPROTO;
        f[i] = next_field(&p, '\0');
    }
    if (*p)
        return -EPROTO;
    char *end;
    long long *nums[] = {&row->id, &row->pid, &row->restarts, &row->uptime_ms, &row->memory};
    const int num_fields[] = {0, 4, 6, 7, 9};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        errno = 0;
        *nums[i] = strtoll(f[num_fields[i]], &end, 10);
        if (end == f[num_fields[i]] || *end || errno)
            return -EPROTO;
    }
    row->cpu = strtod(f[8], &end);
    if (end == f[8] || *end)
        return -EPROTO;
    row->name = f[1];
    row->namespace = f[2];
    row->mode = f[3];
    row->status = f[5];
    return 0;
}

int ls_rows_parse(struct ls_rows *out, const char *text, size_t len)
{
    *out = (struct ls_rows){0};
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    out->text = malloc(len + 1);
    out->rows = calloc(lines ? lines : 1, sizeof(*out->rows));
    if (!out->text || !out->rows) {
        ls_rows_free(out);
        return -ENOMEM;
    }
    memcpy(out->text, text, len);
    out->text[len] = '\0';
    for (char *line = out->text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        int r = parse_line(line, &out->rows[out->n]);
        if (r < 0) {
            ls_rows_free(out);
            return r;
        }
        out->n++;
    }
    return 0;
}

static const char *text_of(json_t *p, const char *key)
{
    const char *s = json_string_value(json_object_get(p, key));
    return s ? s : "?";
}

int ls_rows_from_json(struct ls_rows *out, json_t *processes)
{
    *out = (struct ls_rows){0};
    size_t n = json_array_size(processes);
    out->rows = calloc(n ? n : 1, sizeof(*out->rows));
    if (!out->rows)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(processes, i);
        struct ls_row *r = &out->rows[i];
        r->id = json_integer_value(json_object_get(p, "id"));
        r->pid = json_integer_value(json_object_get(p, "pid"));
        r->restarts = json_integer_value(json_object_get(p, "restarts"));
        r->uptime_ms = r->pid > 0 ? json_integer_value(json_object_get(p, "uptime_ms")) : 0;
        r->memory = json_integer_value(json_object_get(p, "memory"));
        r->cpu = json_number_value(json_object_get(p, "cpu"));
        r->name = text_of(p, "name");
        r->namespace = text_of(p, "namespace");
        r->mode = text_of(p, "mode");
        r->status = text_of(p, "status");
    }
    out->n = n;
    return 0;
}

/* proc_sort's keys, as the row fields they name */
enum row_key {
    KEY_NAME,
    KEY_NAMESPACE,
    KEY_STATUS,
    KEY_ID,
    KEY_PID,
    KEY_CPU,
    KEY_MEMORY,
    KEY_UPTIME,
    KEY_RESTARTS
};

static enum row_key key_of(const char *key)
{
    static const struct {
        const char *json;
        enum row_key key;
    } keys[] = {{"namespace", KEY_NAMESPACE},
                {"status", KEY_STATUS},
                {"id", KEY_ID},
                {"pid", KEY_PID},
                {"cpu", KEY_CPU},
                {"memory", KEY_MEMORY},
                {"uptime_ms", KEY_UPTIME},
                {"restarts", KEY_RESTARTS}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!strcmp(key, keys[i].json))
            return keys[i].key;
    return KEY_NAME;
}

struct sort_ctx {
    enum row_key key;
    int descending;
};

static double number_of(const struct ls_row *r, enum row_key key)
{
    switch (key) {
    case KEY_ID:
        return (double)r->id;
    case KEY_PID:
        return (double)r->pid;
    case KEY_CPU:
        return r->cpu;
    case KEY_MEMORY:
        return (double)r->memory;
    case KEY_UPTIME:
        return r->pid > 0 ? (double)r->uptime_ms : 0; /* stopped: no uptime */
    case KEY_RESTARTS:
        return (double)r->restarts;
    default:
        return 0;
    }
}

static int compare(const void *a, const void *b, void *data)
{
    const struct sort_ctx *s = data;
    const struct ls_row *x = a, *y = b;
    int r;
    if (s->key == KEY_NAME)
        r = strcmp(x->name, y->name);
    else if (s->key == KEY_NAMESPACE)
        r = strcmp(x->namespace, y->namespace);
    else if (s->key == KEY_STATUS)
        r = strcmp(x->status, y->status);
    else {
        double nx = number_of(x, s->key), ny = number_of(y, s->key);
        r = (nx > ny) - (nx < ny);
    }
    if (s->descending)
        r = -r;
    if (r == 0) /* ties keep id order */
        r = (x->id > y->id) - (x->id < y->id);
    return r;
}

void ls_rows_sort(struct ls_rows *rows, const struct proc_sort *s)
{
    struct sort_ctx ctx = {key_of(s->key), s->descending};
    if (rows->n > 1)
        qsort_r(rows->rows, rows->n, sizeof(*rows->rows), compare, &ctx);
}

void ls_rows_free(struct ls_rows *rows)
{
    free(rows->rows);
    free(rows->text);
    *rows = (struct ls_rows){0};
}
