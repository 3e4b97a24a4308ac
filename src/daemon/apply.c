/* apply.c - building blocks of apply and resurrect (apply.h). */
#include "daemon/apply.h"
#include "base/cpus.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/lifecycle.h"
#include "daemon/listeners.h"
#include "daemon/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int inst_list_push(struct inst_list *l, struct inst *inst)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        struct inst **na = realloc(l->items, ncap * sizeof(*na));
        if (!na)
            return -ENOMEM;
        l->items = na;
        l->cap = ncap;
    }
    l->items[l->n++] = inst;
    return 0;
}

void inst_list_free(struct inst_list *l)
{
    free(l->items);
    memset(l, 0, sizeof(*l));
}

int apply_instance_count(const json_t *config)
{
    int64_t n = cfg_int(config, "instances", 1);
    if (n > 0)
        return (int)n;
    int cpus = cpus_usable();
    return n == 0 ? cpus : (cpus > 1 ? cpus - 1 : 1);
}

int64_t apply_settle_timeout(struct inst **insts, size_t n)
{
    int64_t m = CFG_DEFAULT_LISTEN_TIMEOUT_MS + CFG_DEFAULT_KILL_TIMEOUT_MS;
    for (size_t i = 0; i < n; i++) {
        const json_t *c = insts[i]->app->config;
        int64_t t = cfg_int(c, "listen_timeout", CFG_DEFAULT_LISTEN_TIMEOUT_MS) +
                    cfg_int(c, "kill_timeout", CFG_DEFAULT_KILL_TIMEOUT_MS);
        m = t > m ? t : m;
    }
    return m;
}

struct app *apply_create_app(struct daemon *d, const char *name, json_t *config, json_t *base_env,
                             int count, const int *start, struct inst_list *created,
                             json_t *warnings, char *err, size_t errlen)
{
    if (registry_check_new_app(&d->reg, name, cfg_str(config, "namespace", "default"), err,
                               errlen) < 0)
        return NULL;
    struct app *app = registry_add_app(&d->reg, name, json_incref(config), wall_ms());
    if (!app) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    app->base_env = json_is_object(base_env) ? json_incref(base_env) : NULL;
    if (listeners_prebind(app, count, err, errlen) < 0) {
        registry_remove_app(&d->reg, app);
        return NULL;
    }
    int autostart = cfg_bool(config, "autostart", 1);
    for (int s = 0; s < count; s++) {
        struct inst *in =
            lifecycle_create_inst(d, app, s, start ? start[s] : autostart, err, errlen);
        if (!in)
            json_array_append_new(warnings, json_string(err));
        else if (inst_list_push(created, in) < 0)
            json_array_append_new(warnings, json_string("out of memory"));
    }
    if (registry_count_app_insts(&d->reg, app) == 0) {
        registry_remove_app(&d->reg, app);
        return NULL;
    }
    return app;
}
