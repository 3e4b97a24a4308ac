/* targets.c - resolving command targets (targets.h). */
#include "daemon/cmd/targets.h"
#include "base/parse.h"
#include "base/paths.h"
#include "daemon/server.h"
#include "daemon/state/registry.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum target_kind { TARGET_OTHER, TARGET_APP_NAME };

struct target {
    const char *text;
    size_t first; /* its position in the request, for the error message */
    int found;
    enum target_kind kind;
};

/* Apps sorted by script path (for targets that are paths) and by
 * namespace (a number may name one), each built on first use. */
struct script_index {
    struct app **items;
    size_t n;
    int built;
};

struct namespace_index {
    struct app **items;
    size_t n;
    int built;
};

static int by_namespace(const void *a, const void *b)
{
    const struct app *x = *(struct app *const *)a, *y = *(struct app *const *)b;
    return strcmp(x->cfg.namespace, y->cfg.namespace);
}

static int namespace_in_use(const struct registry *reg, struct namespace_index *ni, const char *ns)
{
    if (!ni->built) {
        ni->built = 1;
        if (reg->n_apps) {
            ni->items = malloc(reg->n_apps * sizeof(*ni->items));
            if (!ni->items)
                return -ENOMEM;
            memcpy(ni->items, reg->apps, reg->n_apps * sizeof(*ni->items));
            ni->n = reg->n_apps;
            qsort(ni->items, ni->n, sizeof(*ni->items), by_namespace);
        }
    }
    size_t lo = 0, hi = ni->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ni->items[mid]->cfg.namespace, ns);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static int by_script(const void *a, const void *b)
{
    const struct app *x = *(struct app *const *)a, *y = *(struct app *const *)b;
    return strcmp(x->cfg.script ? x->cfg.script : "", y->cfg.script ? y->cfg.script : "");
}

static int build_script_index(const struct registry *reg, struct script_index *si)
{
    si->built = 1;
    if (reg->n_apps == 0)
        return 0;
    si->items = malloc(reg->n_apps * sizeof(*si->items));
    if (!si->items)
        return -ENOMEM;
    memcpy(si->items, reg->apps, reg->n_apps * sizeof(*si->items));
    si->n = reg->n_apps;
    qsort(si->items, si->n, sizeof(*si->items), by_script);
    return 0;
}

/* Marks the apps whose script is path; returns how many. */
static size_t mark_by_script(struct script_index *si, const char *path, uint64_t epoch)
{
    size_t lo = 0, hi = si->n, marked = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *s = si->items[mid]->cfg.script ? si->items[mid]->cfg.script : "";
        if (strcmp(s, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < si->n && si->items[lo]->cfg.script && !strcmp(si->items[lo]->cfg.script, path);
         lo++, marked++)
        si->items[lo]->mark = epoch;
    return marked;
}

/* The absolute path a target names as a script, against the CLI's cwd
 * (PM2: path.resolve), dots removed; then as the file system resolves it
 * (scripts are stored resolved). Returns 0 or -ENAMETOOLONG. */
static int target_path(const char *text, const char *cwd, char *lexical, char *resolved)
{
    char joined[PATH_MAX];
    if (text[0] != '/' && !cwd)
        return -ENOENT;
    int n = text[0] == '/' ? snprintf(joined, sizeof(joined), "%s", text)
                           : snprintf(joined, sizeof(joined), "%s/%s", cwd, text);
    if (n < 0 || (size_t)n >= sizeof(joined))
        return -ENAMETOOLONG;
    path_normalize(joined, lexical, PATH_MAX);
    if (!realpath(lexical, resolved))
        resolved[0] = '\0';
    return 0;
}

/* Marks the apps whose names match the regular expression /re/. */
static int mark_by_regex(struct registry *reg, const char *text, uint64_t epoch, int *found,
                         char *err, size_t errlen)
{
    size_t len = strlen(text);
    char re_text[TARGET_REGEX_MAX + 1];
    if (len - 2 > TARGET_REGEX_MAX) {
        snprintf(err, errlen, "regular expression too long (at most %d characters)",
                 TARGET_REGEX_MAX);
        return -E2BIG;
    }
    memcpy(re_text, text + 1, len - 2);
    re_text[len - 2] = '\0';
    regex_t re;
    int rc = regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[128];
        regerror(rc, &re, why, sizeof(why));
        snprintf(err, errlen, "bad regular expression %s: %s", text, why);
        return -EINVAL;
    }
    for (size_t i = 0; i < reg->n_apps; i++) {
        if (regexec(&re, reg->apps[i]->name, 0, NULL, 0) == 0) {
            reg->apps[i]->mark = epoch;
            *found = 1;
        }
    }
    regfree(&re);
    return 0;
}

static int is_regex(const char *s)
{
    size_t n = strlen(s);
    return n > 2 && s[0] == '/' && s[n - 1] == '/';
}

/* Marks what one target names, in PM2's order: all, a /regex/ of names, an
 * app name (numbers too), a namespace (marked later), an instance id, the
 * path of apps' script. */
static int resolve_one(struct registry *reg, struct target *t, uint64_t epoch, const char *cwd,
                       struct script_index *scripts, struct namespace_index *namespaces,
                       size_t *regexes, int *all, char *err, size_t errlen)
{
    int64_t id;
    struct app *app;
    if (strcmp(t->text, "all") == 0) {
        *all = 1;
        t->found = reg->n_insts > 0;
        return 0;
    }
    if (is_regex(t->text)) {
        if (++*regexes > TARGET_REGEX_COUNT_MAX) {
            snprintf(err, errlen, "too many regular expressions (at most %d)",
                     TARGET_REGEX_COUNT_MAX);
            return -E2BIG;
        }
        return mark_by_regex(reg, t->text, epoch, &t->found, err, errlen);
    }
    if ((app = registry_find_app(reg, t->text))) {
        app->mark = epoch;
        t->found = 1;
        t->kind = TARGET_APP_NAME;
        return 0;
    }
    int ns = namespace_in_use(reg, namespaces, t->text);
    if (ns < 0) {
        snprintf(err, errlen, "out of memory");
        return ns;
    }
    if (ns)
        return 0; /* found when the instances are walked */
    if (parse_int64(t->text, 0, INT64_MAX, &id) == 0) {
        struct inst *in = registry_find_inst(reg, id);
        if (in) {
            in->mark = epoch;
            t->found = 1;
        }
        return 0;
    }
    char lexical[PATH_MAX], resolved[PATH_MAX];
    if (target_path(t->text, cwd, lexical, resolved) < 0)
        return 0;
    if (!scripts->built && build_script_index(reg, scripts) < 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (mark_by_script(scripts, lexical, epoch) > 0 ||
        (resolved[0] && mark_by_script(scripts, resolved, epoch) > 0))
        t->found = 1;
    return 0;
}

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
    struct script_index scripts = {0};
    struct namespace_index namespaces = {0};
    const char *cwd = json_string_value(json_object_get(req, "cwd"));
    int all = 0, r = 0;
    size_t regexes = 0;
    for (size_t i = 0; i < u && r == 0; i++)
        r = resolve_one(reg, &ts[i], epoch, cwd, &scripts, &namespaces, &regexes, &all, err,
                        errlen);
    free(scripts.items);
    free(namespaces.items);
    if (r < 0) {
        free(ts);
        return r;
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
        /* a namespace, unless an app of that name was meant */
        struct target *ns = lookup(ts, u, in->app->cfg.namespace);
        if (ns && ns->kind != TARGET_APP_NAME)
            ns->found = 1;
        else
            ns = NULL;
        if (all || ns || in->mark == epoch || in->app->mark == epoch)
            arr[k++] = in;
    }
    qsort(ts, u, sizeof(*ts), by_first);
    for (size_t i = 0; i < u; i++) {
        if (!ts[i].found) {
            if (!strcmp(ts[i].text, "all"))
                snprintf(err, errlen, "no process to act on (the list is empty)");
            else
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
