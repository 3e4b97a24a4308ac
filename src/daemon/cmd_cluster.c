/* cmd_cluster.c - reload (rolling, zero-downtime) and scale (live instance
 * count changes). */
#include "base/parse.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/commands.h"
#include "daemon/lifecycle.h"
#include "daemon/listeners.h"
#include "daemon/ops.h"
#include "daemon/registry.h"
#include "daemon/reload.h"
#include "daemon/replies.h"
#include "daemon/server.h"
#include "daemon/targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCALE_GRACE_MS 10000

void cmd_reload(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    char err[512];
    if (targets_resolve(d, req, &insts, &n, err, sizeof(err)) < 0) {
        server_reply_error(c, "%s", err);
        return;
    }
    json_int_t parallel = json_integer_value(json_object_get(req, "parallel"));
    if (parallel < 1)
        parallel = 1;
    reload_instances(d, c, insts, n, (int)parallel);
    free(insts);
}

struct scale_down {
    struct app_ref {
        char name[160];
    } app;
    int *slots;
    size_t n_slots;
};

/* After a scale-down: the removed slots' own sockets (balancing "slots")
 * have no instance left. */
static void scale_down_done(struct daemon *d, struct op *op, int timed_out)
{
    struct scale_down *sd = op->data;
    struct app *app = registry_find_app(&d->reg, sd->app.name);
    if (app && !timed_out)
        for (size_t i = 0; i < sd->n_slots; i++)
            listeners_close(app, sd->slots[i]);
    reply_processes_when_done(d, op, timed_out);
    free(sd->slots);
    free(sd);
}

static int slot_taken(const struct daemon *d, const struct app *app, int slot)
{
    for (size_t i = 0; i < d->reg.n_insts; i++)
        if (d->reg.insts[i]->app == app && d->reg.insts[i]->slot == slot)
            return 1;
    return 0;
}

void cmd_scale(struct daemon *d, struct client *c, json_t *req)
{
    const char *name = json_string_value(json_object_get(req, "app"));
    const char *count = json_string_value(json_object_get(req, "count"));
    struct app *app = name ? registry_find_app(&d->reg, name) : NULL;
    if (!app) {
        server_reply_error(c, "app '%s' not found", name ? name : "");
        return;
    }
    int64_t current = (int64_t)registry_count_app_insts(&d->reg, app), target, v;
    int64_t max = cfg_int(app->config, "max_instances", CFG_DEFAULT_MAX_INSTANCES);
    if (!count || parse_int64(count + (count[0] == '+'), -CFG_HARD_MAX_INSTANCES,
                              CFG_HARD_MAX_INSTANCES, &v) < 0) {
        server_reply_error(c, "scale needs a number: N, +N or -N (got '%s')", count ? count : "");
        return;
    }
    target = (count[0] == '+' || count[0] == '-') ? current + v : v;
    if (target < 1 || target > max) {
        server_reply_error(c,
                           "cannot scale %s to %lld instances (allowed: 1 to %lld, max_instances)",
                           name, (long long)target, (long long)max);
        return;
    }
    int64_t t0 = wall_ms();
    int64_t timeout = cfg_int(app->config, "listen_timeout", CFG_DEFAULT_LISTEN_TIMEOUT_MS) +
                      cfg_int(app->config, "kill_timeout", CFG_DEFAULT_KILL_TIMEOUT_MS) +
                      SCALE_GRACE_MS;
    json_object_set_new(app->config, "instances", json_integer(target));
    char err[512];
    if (target >= current) {
        struct inst **added = calloc((size_t)(target - current) + 1, sizeof(*added));
        size_t n_added = 0;
        if (listeners_prebind(app, (int)target, err, sizeof(err)) < 0) {
            free(added);
            server_reply_error(c, "cannot scale %s: %s", name, err);
            return;
        }
        for (int slot = 0; added && (int64_t)n_added < target - current; slot++) {
            if (slot_taken(d, app, slot))
                continue;
            struct inst *in = lifecycle_create_inst(d, app, slot, 1, err, sizeof(err));
            if (!in)
                break;
            added[n_added++] = in;
        }
        daemon_persist(d);
        wait_and_reply(d, c, OP_WAIT_SETTLED, added, n_added, t0, timeout, NULL);
        free(added);
        return;
    }
    /* down: the highest slots go, draining like a stop */
    size_t n_victims = (size_t)(current - target), n = 0;
    struct inst **victims = calloc(n_victims, sizeof(*victims));
    struct scale_down *sd = calloc(1, sizeof(*sd));
    int *slots = calloc(n_victims, sizeof(int));
    if (!victims || !sd || !slots) {
        free(victims);
        free(sd);
        free(slots);
        server_reply_error(c, "out of memory");
        return;
    }
    while (n < n_victims) {
        struct inst *best = NULL;
        for (size_t i = 0; i < d->reg.n_insts; i++) {
            struct inst *in = d->reg.insts[i];
            int chosen = 0;
            for (size_t k = 0; k < n; k++)
                chosen |= victims[k] == in;
            if (in->app == app && !chosen && (!best || in->slot > best->slot))
                best = in;
        }
        victims[n] = best;
        slots[n] = best->slot;
        n++;
    }
    snprintf(sd->app.name, sizeof(sd->app.name), "%s", name);
    sd->slots = slots;
    sd->n_slots = n;
    struct op *op = op_new(d, c, OP_WAIT_GONE, victims, n, t0, timeout, scale_down_done, sd);
    for (size_t k = 0; k < n; k++)
        lifecycle_delete(d, victims[k]);
    free(victims);
    daemon_persist(d);
    if (op)
        op_arm(d, op);
}
