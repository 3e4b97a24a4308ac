/* registry.c - the apps and instances the daemon knows. */
#include "daemon/registry.h"
#include "base/parse.h"
#include "config/app_config.h"
#include "daemon/listeners.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct app *registry_add_app(struct registry *r, const char *name, json_t *config,
                             int64_t created_at)
{
    if (r->n_apps == r->cap_apps) {
        size_t ncap = r->cap_apps ? r->cap_apps * 2 : 16;
        struct app **na = realloc(r->apps, ncap * sizeof(*na));
        if (!na) {
            json_decref(config);
            return NULL;
        }
        r->apps = na;
        r->cap_apps = ncap;
    }
    struct app *a = calloc(1, sizeof(*a));
    if (!a || !(a->name = strdup(name))) {
        free(a);
        json_decref(config);
        return NULL;
    }
    a->config = config;
    a->created_at = created_at;
    r->apps[r->n_apps++] = a;
    if (r->app_hook)
        r->app_hook(r->app_hook_data, a, 1);
    return a;
}

struct app *registry_find_app(const struct registry *r, const char *name)
{
    for (size_t i = 0; i < r->n_apps; i++)
        if (strcmp(r->apps[i]->name, name) == 0)
            return r->apps[i];
    return NULL;
}

void registry_remove_app(struct registry *r, struct app *app)
{
    for (size_t i = 0; i < r->n_apps; i++) {
        if (r->apps[i] != app)
            continue;
        if (r->app_hook)
            r->app_hook(r->app_hook_data, app, 0);
        memmove(&r->apps[i], &r->apps[i + 1], (r->n_apps - i - 1) * sizeof(r->apps[0]));
        r->n_apps--;
        listeners_close(app, -2);
        json_decref(app->config);
        json_decref(app->base_env);
        free(app->name);
        free(app);
        return;
    }
}

void registry_set_app_config(struct registry *r, struct app *app, json_t *config)
{
    if (r->app_hook)
        r->app_hook(r->app_hook_data, app, 0);
    json_decref(app->config);
    app->config = config;
    if (r->app_hook)
        r->app_hook(r->app_hook_data, app, 1);
}

struct inst *registry_find_inst(const struct registry *r, int64_t id)
{
    size_t lo = 0, hi = r->n_insts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->insts[mid]->id == id)
            return r->insts[mid];
        if (r->insts[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct inst *registry_add_inst(struct registry *r, struct app *app, int64_t id)
{
    if (id < 0)
        id = r->next_id;
    if (registry_find_inst(r, id))
        return NULL;
    if (r->n_insts == r->cap_insts) {
        size_t ncap = r->cap_insts ? r->cap_insts * 2 : 16;
        struct inst **ni = realloc(r->insts, ncap * sizeof(*ni));
        if (!ni)
            return NULL;
        r->insts = ni;
        r->cap_insts = ncap;
    }
    struct inst *in = calloc(1, sizeof(*in));
    if (!in)
        return NULL;
    in->id = id;
    in->app = app;
    strcpy(in->snap.status, "stopped");
    size_t pos = r->n_insts;
    while (pos > 0 && r->insts[pos - 1]->id > id)
        pos--;
    memmove(&r->insts[pos + 1], &r->insts[pos], (r->n_insts - pos) * sizeof(r->insts[0]));
    r->insts[pos] = in;
    r->n_insts++;
    app->n_insts++;
    if (id >= r->next_id)
        r->next_id = id + 1;
    return in;
}

void registry_remove_inst(struct registry *r, struct inst *inst)
{
    for (size_t i = 0; i < r->n_insts; i++) {
        if (r->insts[i] != inst)
            continue;
        memmove(&r->insts[i], &r->insts[i + 1], (r->n_insts - i - 1) * sizeof(r->insts[0]));
        r->n_insts--;
        inst->app->n_insts--;
        free(inst->log_out);
        free(inst->log_err);
        free(inst->log_combined);
        free(inst);
        return;
    }
}

size_t registry_count_app_insts(const struct registry *r, const struct app *app)
{
    (void)r;
    return app->n_insts;
}

static int push(struct inst ***out, size_t *n, struct inst *in)
{
    for (size_t i = 0; i < *n; i++)
        if ((*out)[i] == in)
            return 0;
    struct inst **na = realloc(*out, (*n + 1) * sizeof(*na));
    if (!na)
        return -ENOMEM;
    *out = na;
    na[(*n)++] = in;
    return 0;
}

int registry_resolve(const struct registry *r, const char *target, struct inst ***out, size_t *n)
{
    size_t before = *n;
    int64_t id;
    int all = strcmp(target, "all") == 0;
    int is_id = parse_int64(target, 0, INT64_MAX, &id) == 0;
    for (size_t i = 0; i < r->n_insts; i++) {
        struct inst *in = r->insts[i];
        const char *ns = cfg_str(in->app->config, "namespace", "default");
        if (all || (is_id && in->id == id) || (!is_id && strcmp(in->app->name, target) == 0) ||
            (!is_id && strcmp(ns, target) == 0)) {
            if (push(out, n, in) < 0)
                return -ENOMEM;
        }
    }
    if (*n == before && !all)
        return -ENOENT;
    return 0;
}

void registry_free(struct registry *r)
{
    while (r->n_insts)
        registry_remove_inst(r, r->insts[0]);
    while (r->n_apps)
        registry_remove_app(r, r->apps[0]);
    free(r->insts);
    free(r->apps);
    memset(r, 0, sizeof(*r));
}
