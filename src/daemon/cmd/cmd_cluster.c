/* cmd_cluster.c - reload (rolling, zero-downtime) and scale (live instance
 * count changes). */
#include "base/parse.h"
#include "daemon/cmd/apps.h"
#include "daemon/cmd/commands.h"
#include "daemon/cmd/replies.h"
#include "daemon/cmd/targets.h"
#include "daemon/instances/lifecycle.h"
#include "daemon/instances/listeners.h"
#include "daemon/server.h"
#include "daemon/state/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELOAD_MAX_PARALLEL 64

void cmd_reload(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    json_int_t parallel = json_integer_value(json_object_get(req, "parallel"));
    struct op *op = reply_op_new(d, c);
    if (op) {
        op->parallel = (size_t)(parallel < 1 ? 1 : MIN(parallel, RELOAD_MAX_PARALLEL));
        op->stop_on_failure = 1;
        for (size_t i = 0; i < n; i++)
            op_add(op, insts[i], TASK_RELOAD);
        op_run(op);
    }
    free(insts);
}

/* After a scale-down: the removed slots' own sockets (balancing "slots")
 * have no instance left. */
static void scale_down_done(struct daemon *d, struct op *op)
{
    const char *name = op->data;
    struct app *app = registry_find_app(&d->reg, name);
    if (app) {
        for (int slot = (int)app->cfg.instances; slot < CFG_HARD_MAX_INSTANCES; slot++) {
            int taken = 0;
            for (size_t i = 0; i < d->reg.n_insts && !taken; i++)
                taken = d->reg.insts[i]->app == app && d->reg.insts[i]->slot == slot;
            if (!taken)
                listeners_close(app, slot);
        }
    }
    reply_when_done(d, op);
    free(op->data);
}

/* The instance of app with the highest slot not in victims[0..n). */
static struct inst *highest_slot(const struct daemon *d, const struct app *app,
                                 struct inst **victims, size_t n)
{
    struct inst *best = NULL;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        int chosen = 0;
        for (size_t k = 0; k < n; k++)
            chosen |= victims[k] == in;
        if (in->app == app && !chosen && (!best || in->slot > best->slot))
            best = in;
    }
    return best;
}

static void scale_up(struct daemon *d, struct client *c, struct app *app, int64_t add)
{
    char err[512];
    struct op *op = reply_op_new(d, c);
    if (!op)
        return;
    int r = apps_add_instances(d, app, (int)add, op, err, sizeof(err));
    if (r < 0 && op->n_tasks == 0) {
        op_discard(op);
        server_reply_error_code(c, r, "cannot scale %s: %s", app->name, err);
        return;
    }
    daemon_persist(d);
    op_run(op);
}

static void scale_down(struct daemon *d, struct client *c, struct app *app, int64_t remove)
{
    struct inst **victims = calloc((size_t)remove, sizeof(*victims));
    char *name = strdup(app->name);
    struct op *op = victims && name ? op_new(d, c, scale_down_done, name) : NULL;
    if (!op) {
        free(victims);
        free(name);
        server_reply_error_code(c, -ENOMEM, "out of memory");
        return;
    }
    /* the highest slots go, draining like a stop */
    for (size_t n = 0; n < (size_t)remove; n++) {
        victims[n] = highest_slot(d, app, victims, n);
        op_add(op, victims[n], TASK_DELETE);
    }
    free(victims);
    daemon_persist(d);
    op_run(op);
}

void cmd_scale(struct daemon *d, struct client *c, json_t *req)
{
    const char *name = json_string_value(json_object_get(req, "app"));
    const char *count = json_string_value(json_object_get(req, "count"));
    struct app *app = name ? registry_find_app(&d->reg, name) : NULL;
    if (!app) {
        server_reply_error_code(c, -ENOENT, "app '%s' not found", name ? name : "");
        return;
    }
    int64_t current = (int64_t)app->n_insts, target, v;
    const char *why;
    int64_t max = app_config_instance_cap(&app->cfg, &why);
    if (!count || parse_int64(count + (count[0] == '+'), -CFG_HARD_MAX_INSTANCES,
                              CFG_HARD_MAX_INSTANCES, &v) < 0) {
        server_reply_error(c, "scale needs a number: N, +N or -N (got '%s')", count ? count : "");
        return;
    }
    target = (count[0] == '+' || count[0] == '-') ? current + v : v;
    if (target < 1 || target > max) {
        server_reply_error_code(c, -ERANGE,
                                "cannot scale %s to %lld instances (allowed: 1 to %lld, %s)", name,
                                (long long)target, (long long)max, why);
        return;
    }
    if (target >= current) {
        scale_up(d, c, app, target - current);
        return;
    }
    /* the count is part of the config: state.json, describe and apply see it */
    json_t *config = json_deep_copy(app->cfg.json);
    json_object_set_new(config, "instances", json_integer(target));
    if (!json_object_get(config, "exec_mode")) /* a count alone would mean cluster */
        json_object_set_new(config, "exec_mode",
                            json_string(app->cfg.exec_mode == EXEC_CLUSTER ? "cluster" : "fork"));
    registry_set_app_config(&d->reg, app, config);
    scale_down(d, c, app, current - target);
}
