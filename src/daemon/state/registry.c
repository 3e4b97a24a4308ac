/* registry.c - the apps and instances the daemon knows. */
#include "daemon/state/registry.h"
#include "config/app_config.h"
#include "daemon/instances/listeners.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Position of name in the by_name index, or where it would go. */
static size_t name_pos(const struct registry *r, const char *name, int *found)
{
    size_t lo = 0, hi = r->n_apps;
    *found = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(r->by_name[mid]->name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct app *registry_add_app(struct registry *r, const char *name, json_t *config,
                             int64_t created_at)
{
    if (r->n_apps == r->cap_apps) {
        size_t ncap = r->cap_apps ? r->cap_apps * 2 : 16;
        struct app **na = realloc(r->apps, ncap * sizeof(*na));
        if (na)
            r->apps = na;
        struct app **nb = na ? realloc(r->by_name, ncap * sizeof(*nb)) : NULL;
        if (!nb) {
            json_decref(config);
            return NULL;
        }
        r->by_name = nb;
        r->cap_apps = ncap;
    }
    int found;
    size_t pos = name_pos(r, name, &found);
    if (found) {
        json_decref(config);
        return NULL;
    }
    struct app *a = calloc(1, sizeof(*a));
    if (!a || !(a->name = strdup(name))) {
        free(a);
        json_decref(config);
        return NULL;
    }
    app_config_load(&a->cfg, config);
    json_decref(config); /* the config holds its reference */
    a->created_at = created_at;
    memmove(&r->by_name[pos + 1], &r->by_name[pos], (r->n_apps - pos) * sizeof(r->by_name[0]));
    r->by_name[pos] = a;
    r->apps[r->n_apps++] = a;
    if (r->app_hook)
        r->app_hook(r->app_hook_data, a, 1);
    return a;
}

int registry_check_new_app(const struct registry *r, const char *name, const char *ns, char *err,
                           size_t errlen)
{
    char why[128];
    if (app_name_check(name, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "invalid app name: it %s", why);
        return -EINVAL;
    }
    if (registry_find_app(r, name)) {
        snprintf(err, errlen, "app '%s' already exists", name);
        return -EEXIST;
    }
    if (strcmp(name, "default") == 0) {
        snprintf(err, errlen, "'default' is the default namespace: choose another app name");
        return -EINVAL;
    }
    if (strcmp(ns, name) == 0) {
        snprintf(err, errlen, "app '%s' cannot be in a namespace of the same name", name);
        return -EINVAL;
    }
    if (registry_find_app(r, ns)) {
        snprintf(err, errlen, "namespace '%s' is the name of an app: choose another namespace", ns);
        return -EINVAL;
    }
    for (size_t i = 0; i < r->n_apps; i++) {
        if (strcmp(r->apps[i]->cfg.namespace, name) == 0) {
            snprintf(err, errlen, "'%s' is the name of a namespace in use: choose another app name",
                     name);
            return -EINVAL;
        }
    }
    return 0;
}

struct app *registry_find_app(const struct registry *r, const char *name)
{
    int found;
    size_t pos = name_pos(r, name, &found);
    return found ? r->by_name[pos] : NULL;
}

size_t registry_app_pos(const struct registry *r, const struct app *app)
{
    int found;
    return name_pos(r, app->name, &found);
}

void registry_remove_app(struct registry *r, struct app *app)
{
    for (size_t i = 0; i < r->n_apps; i++) {
        if (r->apps[i] != app)
            continue;
        if (r->app_hook)
            r->app_hook(r->app_hook_data, app, 0);
        int found;
        size_t pos = name_pos(r, app->name, &found);
        if (found)
            memmove(&r->by_name[pos], &r->by_name[pos + 1],
                    (r->n_apps - pos - 1) * sizeof(r->by_name[0]));
        memmove(&r->apps[i], &r->apps[i + 1], (r->n_apps - i - 1) * sizeof(r->apps[0]));
        r->n_apps--;
        listeners_close(app, -2);
        app_config_free(&app->cfg);
        json_decref(app->base_env);
        free(app->name);
        free(app);
        return;
    }
}

int registry_rename_app(struct registry *r, struct app *app, const char *name)
{
    char *copy = strdup(name);
    if (!copy)
        return -ENOMEM;
    int found;
    size_t pos = name_pos(r, app->name, &found);
    if (found)
        memmove(&r->by_name[pos], &r->by_name[pos + 1],
                (r->n_apps - pos - 1) * sizeof(r->by_name[0]));
    free(app->name);
    app->name = copy;
    r->n_apps--; /* the index holds one app less until it is back in */
    pos = name_pos(r, copy, &found);
    memmove(&r->by_name[pos + 1], &r->by_name[pos], (r->n_apps - pos) * sizeof(r->by_name[0]));
    r->by_name[pos] = app;
    r->n_apps++;
    for (size_t i = 0; i < r->n_insts; i++)
        if (r->insts[i]->app == app)
            snprintf(r->insts[i]->snap.name, sizeof(r->insts[i]->snap.name), "%s", copy);
    return 0;
}

void registry_set_app_config(struct registry *r, struct app *app, json_t *config)
{
    if (r->app_hook)
        r->app_hook(r->app_hook_data, app, 0);
    app_config_free(&app->cfg);
    app_config_load(&app->cfg, config);
    json_decref(config);
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
    in->gen = r->gen_floor;
    in->app = app;
    in->link_state = LINK_NONE;
    in->snap.status = STATUS_STOPPED;
    in->snap.id = id;
    in->snap.exit_code = -1;
    snprintf(in->snap.name, sizeof(in->snap.name), "%s", app->name);
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
        /* a supervisor of this id may still be exiting: the next instance
         * with the id gets a generation it never had */
        if (inst->gen + 2 > r->gen_floor)
            r->gen_floor = inst->gen + 2;
        if (r->n_insts == 0)
            r->next_id = 0; /* PM2: an empty list numbers from 0 again */
        free(inst->log_out);
        free(inst->log_err);
        free(inst->log_combined);
        free(inst);
        return;
    }
}

void registry_free(struct registry *r)
{
    while (r->n_insts)
        registry_remove_inst(r, r->insts[0]);
    while (r->n_apps)
        registry_remove_app(r, r->apps[0]);
    free(r->insts);
    free(r->apps);
    free(r->by_name);
    memset(r, 0, sizeof(*r));
}

int app_expects_serving(const struct app *app)
{
    const struct app_config *c = &app->cfg;
    if (json_array_size(c->listen) > 0)
        return 1;
    return c->exec_mode == EXEC_CLUSTER &&
           (app->served || c->port > 0 || json_object_get(c->env, "PORT") != NULL);
}

int app_needs_ready(const struct app *app)
{
    return app->cfg.wait_ready || app_expects_serving(app);
}

enum inst_status inst_status(const struct inst *inst)
{
    switch (inst->link_state) {
    case LINK_ADOPTING:
        return STATUS_ADOPTING;
    case LINK_LOST:
        return STATUS_LOST;
    case LINK_NONE:
    case LINK_STARTING:
    case LINK_UP:
        break;
    }
    return (enum inst_status)inst->snap.status;
}
