/* triggers.c - arming and disarming the restart triggers of each app, and
 * the one way they restart instances. */
#include "daemon/triggers/triggers.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/instances/lifecycle.h"
#include "daemon/ops/ops.h"
#include "daemon/triggers/trigger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void app_hook(void *data, struct app *app, int added)
{
    if (added)
        triggers_app_added(data, app);
    else
        triggers_app_removed(data, app);
}

int triggers_init(struct daemon *d)
{
    d->triggers = calloc(1, sizeof(*d->triggers));
    if (!d->triggers)
        return -ENOMEM;
    d->reg.app_hook = app_hook;
    d->reg.app_hook_data = d;
    return 0;
}

void triggers_free(struct daemon *d)
{
    d->reg.app_hook = NULL;
    if (!d->triggers)
        return;
    for (size_t i = 0; i < d->reg.n_apps; i++)
        triggers_app_removed(d, d->reg.apps[i]);
    memory_stop(d);
    watch_set_free(d);
    free(d->triggers);
    d->triggers = NULL;
}

void triggers_app_added(struct daemon *d, struct app *app)
{
    if (!d->triggers || app->triggers)
        return;
    struct app_triggers *at = calloc(1, sizeof(*at));
    if (!at) {
        log_error("app '%s': out of memory arming its restart triggers", app->name);
        return;
    }
    int r = watch_app_add(d, app, &at->watch);
    if (r < 0)
        log_warn_errno(r, "app '%s': cannot watch its files", app->name);
    r = cron_app_add(d, app, &at->cron);
    if (r < 0)
        log_warn_errno(r, "app '%s': cannot arm cron_restart", app->name);
    memory_app_added(d, app);
    if (at->watch || at->cron)
        app->triggers = at;
    else
        free(at);
}

void triggers_app_removed(struct daemon *d, struct app *app)
{
    struct app_triggers *at = app->triggers;
    if (!at)
        return;
    app->triggers = NULL;
    if (at->watch)
        watch_app_remove(d, at->watch);
    if (at->cron)
        cron_app_remove(d, at->cron);
    free(at);
}

/* Records why inst is restarted, for describe. False when it should not
 * be restarted at all. */
static int note_trigger(struct daemon *d, struct inst *inst, const char *why)
{
    if (d->exiting || d->shutting_down || inst->deleting || !inst->want_running ||
        inst->next_link /* a reload is replacing it already */)
        return 0;
    inst->trigger_restarts++;
    inst->trigger_at = wall_ms();
    snprintf(inst->trigger_reason, sizeof(inst->trigger_reason), "%s", why);
    return 1;
}

/* A cluster app's instances are reloaded one at a time, nobody waits for
 * the outcome: failures go to the daemon log. */
static void reload_done(struct daemon *d, struct op *op)
{
    (void)d;
    for (size_t i = 0; i < op->n_tasks; i++)
        if (op->tasks[i].message[0])
            log_warn("restart trigger: %s", op->tasks[i].message);
}

static void reload_quietly(struct daemon *d, struct inst **insts, size_t n)
{
    struct op *op = op_new(d, NULL, reload_done, NULL);
    if (!op) {
        log_error("out of memory reloading %zu instance(s)", n);
        return;
    }
    op->parallel = 1;
    op->stop_on_failure = 1;
    for (size_t i = 0; i < n; i++)
        op_add(op, insts[i], TASK_RELOAD);
    op_run(op);
}

/* A fork instance restarts; a cluster instance is reloaded: its
 * replacement is ready before the old worker stops (ops/ops.h). */
static void restart_fork_instance(struct daemon *d, struct inst *inst, const char *why)
{
    char err[256] = "";
    int r = lifecycle_restart(d, inst, err, sizeof(err));
    if (r < 0)
        log_warn("%s:%lld: cannot restart (%s): %s", inst->app->name, (long long)inst->id, why,
                 *err ? err : strerror(-r));
}

void trigger_restart_instance(struct daemon *d, struct inst *inst, const char *why)
{
    if (!note_trigger(d, inst, why))
        return;
    if (inst->app->cfg.exec_mode == EXEC_CLUSTER)
        reload_quietly(d, &inst, 1);
    else
        restart_fork_instance(d, inst, why);
}

void trigger_restart_app(struct daemon *d, struct app *app, const char *why)
{
    struct inst **cluster = NULL;
    size_t n_cluster = 0;
    int is_cluster = app->cfg.exec_mode == EXEC_CLUSTER;
    if (is_cluster && !(cluster = calloc(d->reg.n_insts ? d->reg.n_insts : 1, sizeof(*cluster)))) {
        log_error("app '%s': out of memory reloading it (%s)", app->name, why);
        return;
    }
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        if (in->app != app || !note_trigger(d, in, why))
            continue;
        if (is_cluster)
            cluster[n_cluster++] = in;
        else
            restart_fork_instance(d, in, why);
    }
    /* one rolling reload over the app's instances, one at a time */
    if (n_cluster)
        reload_quietly(d, cluster, n_cluster);
    free(cluster);
}
