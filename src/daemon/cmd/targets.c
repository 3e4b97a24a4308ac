/* targets.c - resolving command targets (targets.h). */
#include "daemon/cmd/targets.h"
#include "base/parse.h"
#include "daemon/server.h"
#include "daemon/state/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct target {
    const char *text;
    size_t first; /* its position in the request, for the error message */
    int found;
};

static int by_text(const void *a, const void *b)
{
    const struct target *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    return c ? c : (x->first > y->first) - (x->first < y->first);
}

static int by_first(const void *a, const void *b)
{
    const struct target *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/* The unique target equal to s, or NULL (ts sorted by text). */
static struct target *lookup(struct target *ts, size_t n, const char *s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ts[mid].text, s);
        if (c == 0)
            return &ts[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int targets_resolve(struct daemon *d, json_t *req, struct inst ***out, size_t *n, char *err,
                    size_t errlen)
{
    json_t *targets = json_object_get(req, "targets");
    size_t count = json_array_size(targets);
    *out = NULL;
    *n = 0;
    if (!json_is_array(targets) || count == 0) {
        snprintf(err, errlen, "no target given (a name, an id, a namespace or all)");
        return -EINVAL;
    }
    if (count > TARGETS_MAX) {
        snprintf(err, errlen, "too many targets (%zu, at most %d)", count, TARGETS_MAX);
        return -E2BIG;
    }
    struct target *ts = calloc(count, sizeof(*ts));
    if (!ts) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        ts[i].text = json_string_value(json_array_get(targets, i));
        ts[i].first = i;
        if (!ts[i].text) {
            free(ts);
            snprintf(err, errlen, "targets must be strings");
            return -EINVAL;
        }
    }
    /* one entry per distinct target: linear work whatever the repeats */
    qsort(ts, count, sizeof(*ts), by_text);
    size_t u = 0;
    for (size_t i = 0; i < count; i++)
        if (u == 0 || strcmp(ts[u - 1].text, ts[i].text) != 0)
            ts[u++] = ts[i];

    struct registry *reg = &d->reg;
    uint64_t epoch = ++reg->mark_epoch;
    int all = 0;
    for (size_t i = 0; i < u; i++) {
        int64_t id;
        struct app *app;
        if (strcmp(ts[i].text, "all") == 0) {
            all = ts[i].found = 1;
        } else if (parse_int64(ts[i].text, 0, INT64_MAX, &id) == 0) {
            struct inst *in = registry_find_inst(reg, id);
            if (in) {
                in->mark = epoch;
                ts[i].found = 1;
            }
        } else if ((app = registry_find_app(reg, ts[i].text))) {
            app->mark = epoch;
            ts[i].found = 1;
        }
    }
    struct inst **arr = calloc(reg->n_insts ? reg->n_insts : 1, sizeof(*arr));
    if (!arr) {
        free(ts);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < reg->n_insts; i++) {
        struct inst *in = reg->insts[i];
        struct target *ns = lookup(ts, u, in->app->cfg.namespace);
        if (ns)
            ns->found = 1;
        if (all || ns || in->mark == epoch || in->app->mark == epoch)
            arr[k++] = in;
    }
    qsort(ts, u, sizeof(*ts), by_first);
    for (size_t i = 0; i < u; i++) {
        if (!ts[i].found) {
            snprintf(err, errlen, "process or namespace '%s' not found", ts[i].text);
            free(ts);
            free(arr);
            return -ENOENT;
        }
    }
    free(ts);
    *out = arr;
    *n = k;
    return 0;
}

int targets_resolve_or_reply(struct daemon *d, struct client *c, json_t *req, struct inst ***out,
                             size_t *n)
{
    char err[512];
    int r = targets_resolve(d, req, out, n, err, sizeof(err));
    if (r < 0)
        server_reply_error_code(c, r, "%s", err);
    return r;
}
