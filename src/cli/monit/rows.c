/* rows.c - the process list of `drover monit` (rows.h). */
#include "cli/monit/rows.h"
#include "base/macros.h"
#include "proto/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int row_cmp(const void *a, const void *b)
{
    const struct monit_row *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (x->id > y->id) - (x->id < y->id);
}

/* The colour class of a status (status_from_name's value; -1: a word
 * this client does not know, shown as in progress). */
static int status_class(int state)
{
    switch (state) {
    case STATUS_ONLINE:
        return ROWS_OK;
    case STATUS_ERRORED:
        return ROWS_BAD;
    case STATUS_STOPPED:
        return ROWS_OFF;
    default:
        return ROWS_BUSY;
    }
}

static void free_row(struct monit_row *r)
{
    free(r->name);
    free(r->hist);
}

/* An instance row from a process object. Returns 0 or -ENOMEM. */
static int instance_row(json_t *p, struct monit_row *r)
{
    const char *name = json_string_value(json_object_get(p, "name"));
    const char *status = json_string_value(json_object_get(p, "status"));
    memset(r, 0, sizeof(*r));
    r->name = strdup(name ? name : "?");
    if (!r->name)
        return -ENOMEM;
    r->id = json_integer_value(json_object_get(p, "id"));
    snprintf(r->status, sizeof(r->status), "%s", status ? status : "?");
    r->state = status_from_name(status);
    r->status_class = status_class(r->state);
    r->n_instances = 1;
    r->n_online = r->status_class == ROWS_OK;
    r->pid = json_integer_value(json_object_get(p, "pid"));
    r->cpu = json_number_value(json_object_get(p, "cpu"));
    json_int_t mem = json_integer_value(json_object_get(p, "memory"));
    r->memory = mem > 0 ? (uint64_t)mem : 0;
    r->restarts = json_integer_value(json_object_get(p, "restarts"));
    r->uptime_ms = json_integer_value(json_object_get(p, "uptime_ms"));
    json_t *open = json_object_get(p, "conns_open"), *acc = json_object_get(p, "conns_accepted");
    r->conns_open = json_is_integer(open) ? json_integer_value(open) : -1;
    r->accepted = json_is_integer(acc) ? json_integer_value(acc) : -1;
    r->accept_rate = json_number_value(json_object_get(p, "accept_rate"));
    return 0;
}

/* The header of the n instance rows at inst (n > 1). */
static int header_row(const struct monit_row *inst, size_t n, struct monit_row *h)
{
    memset(h, 0, sizeof(*h));
    h->name = strdup(inst[0].name);
    if (!h->name)
        return -ENOMEM;
    h->id = -1;
    h->n_instances = (int)n;
    h->conns_open = h->accepted = -1;
    int same = 1, bad = 0, off = 0;
    for (size_t i = 0; i < n; i++) {
        h->n_online += inst[i].status_class == ROWS_OK;
        bad |= inst[i].status_class == ROWS_BAD;
        off += inst[i].status_class == ROWS_OFF;
        same &= inst[i].state == inst[0].state;
        h->cpu += inst[i].cpu;
        h->memory += inst[i].memory;
        h->restarts += inst[i].restarts;
        h->uptime_ms = MAX(h->uptime_ms, inst[i].uptime_ms);
        h->pid = MAX(h->pid, inst[i].pid);
        if (inst[i].conns_open >= 0)
            h->conns_open = MAX(h->conns_open, 0) + inst[i].conns_open;
        if (inst[i].accepted >= 0)
            h->accepted = MAX(h->accepted, 0) + inst[i].accepted;
        h->accept_rate += inst[i].accept_rate;
    }
    h->state = same ? inst[0].state : -1;
    if (same && h->state >= 0)
        snprintf(h->status, sizeof(h->status), "%s", inst[0].status);
    else
        snprintf(h->status, sizeof(h->status), "online %d/%zu", h->n_online, n);
    h->status_class = bad                     ? ROWS_BAD
                      : h->n_online == (int)n ? ROWS_OK
                      : off == (int)n         ? ROWS_OFF
                                              : ROWS_BUSY;
    return 0;
}

/* Sorted instance rows of processes into *out (count in *n). */
static int instance_rows(json_t *processes, struct monit_row **out, size_t *n)
{
    size_t total = json_array_size(processes);
    struct monit_row *rows = calloc(total ? total : 1, sizeof(*rows));
    if (!rows)
        return -ENOMEM;
    for (size_t i = 0; i < total; i++) {
        if (instance_row(json_array_get(processes, i), &rows[i]) < 0) {
            for (size_t k = 0; k < i; k++)
                free_row(&rows[k]);
            free(rows);
            return -ENOMEM;
        }
    }
    qsort(rows, total, sizeof(*rows), row_cmp);
    *out = rows;
    *n = total;
    return 0;
}

/* Instance rows plus a header before each app of several instances. */
static int with_headers(struct monit_row *inst, size_t n, struct monit_rows *out)
{
    size_t apps = 0;
    for (size_t i = 0; i < n; i++)
        apps += i == 0 || strcmp(inst[i].name, inst[i - 1].name) != 0;
    struct monit_row *rows = calloc(n + apps + 1, sizeof(*rows));
    if (!rows)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && !strcmp(inst[j].name, inst[i].name))
            j++;
        if (j - i > 1 && header_row(&inst[i], j - i, &rows[k++]) < 0) {
            for (size_t x = 0; x + 1 < k; x++)
                if (rows[x].id < 0) /* a header; instance rows are still inst's */
                    free(rows[x].name);
            free(rows);
            return -ENOMEM;
        }
        for (size_t x = i; x < j; x++) {
            rows[k] = inst[x];
            rows[k++].grouped = j - i > 1;
        }
        i = j;
    }
    out->items = rows;
    out->n = k;
    return 0;
}

int rows_update(struct monit_rows *rows, json_t *processes, uint64_t seq)
{
    struct monit_row *inst;
    size_t n;
    struct monit_rows next;
    if (instance_rows(processes, &inst, &n) < 0)
        return -ENOMEM;
    if (with_headers(inst, n, &next) < 0) {
        for (size_t i = 0; i < n; i++)
            free_row(&inst[i]);
        free(inst);
        return -ENOMEM;
    }
    free(inst); /* its rows moved into next */
    for (size_t i = 0; i < next.n; i++) {
        struct monit_row *r = &next.items[i];
        struct monit_row *old =
            rows->n ? bsearch(r, rows->items, rows->n, sizeof(*r), row_cmp) : NULL;
        if (old) {
            r->hist = TAKE_PTR(old->hist);
            r->folded = old->folded;
        } else {
            r->hist = history_new();
        }
        if (r->hist)
            history_add(r->hist, seq, r->cpu, r->memory);
    }
    rows_free(rows);
    *rows = next;
    return 0;
}

int rows_visible(const struct monit_rows *rows, size_t i)
{
    const struct monit_row *r = &rows->items[i];
    if (!r->grouped)
        return 1;
    long h = rows_find(rows, r->name, -1);
    return h < 0 || !rows->items[h].folded;
}

void rows_target(const struct monit_row *row, char *buf)
{
    if (row->grouped)
        snprintf(buf, ROWS_TARGET_MAX, "%lld", (long long)row->id);
    else
        snprintf(buf, ROWS_TARGET_MAX, "%s", row->name);
}

long rows_find(const struct monit_rows *rows, const char *name, int64_t id)
{
    struct monit_row key = {.name = (char *)name, .id = id};
    if (!rows->n)
        return -1;
    const struct monit_row *r = bsearch(&key, rows->items, rows->n, sizeof(key), row_cmp);
    return r ? (long)(r - rows->items) : -1;
}

void rows_free(struct monit_rows *rows)
{
    for (size_t i = 0; i < rows->n; i++)
        free_row(&rows->items[i]);
    free(rows->items);
    rows->items = NULL;
    rows->n = 0;
}
