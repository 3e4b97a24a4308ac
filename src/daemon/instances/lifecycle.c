/* lifecycle.c - instance start/stop/restart/delete and supervisor loss
 * (lifecycle.h). */
#include "daemon/instances/lifecycle.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/timeutil.h"
#include "daemon/instances/adopt.h"
#include "daemon/instances/inst_spec.h"
#include "daemon/instances/listeners.h"
#include "daemon/instances/orphans.h"
#include "daemon/instances/suplink.h"
#include "daemon/state/registry.h"
#include "loop/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESPAWN_DELAY_MS 1000      /* after a supervisor is lost, doubled per loss in a row */
#define RESPAWN_MAX_DELAY_MS 60000 /* up to this */
#define RESPAWN_CALM_MS 120000     /* a loss this long after the last starts the count again */

/* The daemon's own word on an instance without a supervisor. */
static void set_own_status(struct inst *inst, enum link_state ls, enum inst_status st,
                           const char *reason)
{
    inst->link_state = ls;
    inst->snap.status = st;
    inst->snap.pid = 0;
    inst->snap.ready = 0;
    if (reason)
        snprintf(inst->snap.reason, sizeof(inst->snap.reason), "%s", reason);
}

/* A new primary supervisor (next generation) for an instance without one. */
static int spawn_primary(struct daemon *d, struct inst *inst, int start, int counted, char *err,
                         size_t errlen)
{
    int64_t restarts = inst->snap.restarts + (counted ? 1 : 0);
    /* its sockets were closed if the app was stopped */
    if (start && listeners_prepare(d, inst->app, inst->slot, err, errlen) < 0) {
        set_own_status(inst, LINK_NONE, STATUS_ERRORED, err);
        return -EADDRINUSE;
    }
    struct suplink *l = suplink_spawn(d, inst, inst->gen + 1, restarts, start, err, errlen);
    if (!l) {
        set_own_status(inst, LINK_NONE, STATUS_ERRORED, err);
        return -EIO;
    }
    suplink_bind(l, inst, inst->gen + 1);
    return 0;
}

struct inst *lifecycle_create_inst(struct daemon *d, struct app *app, int slot, int start,
                                   char *err, size_t errlen)
{
    struct inst *inst = registry_add_inst(&d->reg, app, -1);
    if (!inst) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    inst->slot = slot;
    inst->created_at = wall_ms();
    inst->want_running = start;
    inst_resolve_log_paths(d, inst);
    if (spawn_primary(d, inst, start, 0, err, errlen) < 0) {
        registry_remove_inst(&d->reg, inst);
        return NULL;
    }
    return inst;
}

/* An instance whose supervisor was found at start but has not answered:
 * nothing can be done to it until it does (or dies). */
static int still_adopting(const struct inst *inst, char *err, size_t errlen)
{
    if (inst->link || !inst->adopting)
        return 0;
    snprintf(err, errlen,
             "%s (id %lld): its supervisor (pid %d) has not answered since the daemon "
             "started (stopped?); try again when it does",
             inst->app->name, (long long)inst->id, (int)inst->snap.sup_pid);
    return -EBUSY;
}

/* start or restart through the supervisor, handing it the sockets its
 * next run inherits (bound again when the app was stopped) */
static int request_with_sockets(struct daemon *d, struct inst *inst, const char *cmd, char *err,
                                size_t errlen)
{
    int r = listeners_prepare(d, inst->app, inst->slot, err, errlen);
    if (r < 0) {
        if (status_is_at_rest(inst_status(inst))) {
            inst->want_running = 0; /* it stays stopped */
            listeners_release_idle(d, inst->app);
        }
        return r;
    }
    r = suplink_request_with_sockets(inst->link, cmd);
    if (r < 0)
        snprintf(err, errlen, "%s (id %lld): its supervisor is not reachable: %s", inst->app->name,
                 (long long)inst->id, strerror(-r));
    return r;
}

int lifecycle_start(struct daemon *d, struct inst *inst, char *err, size_t errlen)
{
    int r = still_adopting(inst, err, errlen);
    if (r < 0)
        return r;
    inst->want_running = 1;
    if (inst->link)
        return request_with_sockets(d, inst, "start", err, errlen);
    return spawn_primary(d, inst, 1, 0, err, errlen);
}

int lifecycle_stop(struct daemon *d, struct inst *inst, char *err, size_t errlen)
{
    int r = still_adopting(inst, err, errlen);
    if (r < 0)
        return r;
    inst->want_running = 0;
    /* the last instance wanted running is stopping: the port closes (its
     * supervisor drops its copies on stop, the app's go with it); a slot's
     * own socket leaves its reuseport group, so no connection waits on it */
    listeners_release_idle(d, inst->app);
    listeners_close(inst->app, inst->slot);
    if (!inst->link)
        return 0;
    return suplink_request(inst->link, "stop", NULL, NULL, NULL, NULL);
}

int lifecycle_restart(struct daemon *d, struct inst *inst, char *err, size_t errlen)
{
    int r = still_adopting(inst, err, errlen);
    if (r < 0)
        return r;
    inst->want_running = 1;
    if (inst->link)
        return request_with_sockets(d, inst, "restart", err, errlen);
    return spawn_primary(d, inst, 1, 1, err, errlen);
}

static void remove_inst(struct daemon *d, struct inst *inst)
{
    struct app *app = inst->app;
    if (inst->next_link)
        lifecycle_dismiss_replacement(d, inst, inst->next_link);
    if (inst->link)
        suplink_disown(inst->link);
    registry_remove_inst(&d->reg, inst);
    if (app->n_insts == 0)
        registry_remove_app(&d->reg, app);
    daemon_persist(d);
    daemon_instances_changed(d);
}

void lifecycle_delete(struct daemon *d, struct inst *inst)
{
    inst->want_running = 0;
    inst->deleting = 1;
    listeners_release_idle(d, inst->app);
    listeners_close(inst->app, inst->slot);
    if (inst->link && suplink_request(inst->link, "delete", NULL, NULL, NULL, NULL) == 0)
        return;
    if (inst->adopting) {
        /* it does not answer: kill it; its exit removes the instance */
        adopt_kill(d, inst->id);
        return;
    }
    remove_inst(d, inst);
}

struct suplink *lifecycle_spawn_replacement(struct daemon *d, struct inst *inst, int counted,
                                            char *err, size_t errlen)
{
    if (listeners_prepare(d, inst->app, inst->slot, err, errlen) < 0)
        return NULL;
    struct suplink *l = suplink_spawn(d, inst, inst->gen + 1,
                                      inst->snap.restarts + (counted ? 1 : 0), 1, err, errlen);
    if (l)
        inst->next_link = l;
    return l;
}

struct suplink *lifecycle_promote(struct daemon *d, struct inst *inst, struct suplink *repl)
{
    struct suplink *old = inst->link;
    if (old == repl)
        return NULL;
    if (old)
        suplink_disown(old);
    suplink_bind(repl, inst, suplink_gen(repl));
    daemon_persist(d);
    return old;
}

void lifecycle_dismiss_replacement(struct daemon *d, struct inst *inst, struct suplink *repl)
{
    (void)d;
    if (inst->next_link != repl)
        return;
    suplink_request(repl, "delete", NULL, NULL, NULL, NULL);
    /* the link stays open until the supervisor exits; it no longer belongs
     * to the instance */
    suplink_disown(repl);
}

int lifecycle_swap_supervisor(struct daemon *d, struct inst *inst, int counted, char *err,
                              size_t errlen)
{
    struct suplink *l = lifecycle_spawn_replacement(d, inst, counted, err, errlen);
    if (!l)
        return -EIO;
    struct suplink *old = lifecycle_promote(d, inst, l);
    if (old)
        suplink_request(old, "delete", NULL, NULL, NULL, NULL);
    return 0;
}

struct respawn_ctx {
    struct daemon *d;
    int64_t id;
};

static void on_respawn_timer(struct ev_loop *loop, void *data)
{
    struct respawn_ctx *rc = data;
    (void)loop;
    struct inst *inst = registry_find_inst(&rc->d->reg, rc->id);
    if (inst && !inst->link && inst->want_running && !rc->d->exiting) {
        char err[256];
        if (spawn_primary(rc->d, inst, 1, 1, err, sizeof(err)) < 0)
            log_error("%s:%lld: cannot restart supervisor: %s", inst->app->name,
                      (long long)inst->id, err);
        daemon_persist(rc->d);
        daemon_instances_changed(rc->d);
    }
    free(rc);
}

/* A new supervisor for an instance whose one was lost, after a delay that
 * doubles with each loss in a row (1 s up to a minute): a supervisor that
 * cannot live (a broken install, a machine out of memory) is not respawned
 * in a loop. */
static void respawn_later(struct daemon *d, struct inst *inst)
{
    int64_t now = mono_ms();
    if (inst->sup_lost_at && now - inst->sup_lost_at > RESPAWN_CALM_MS)
        inst->sup_losses = 0;
    int64_t delay = RESPAWN_DELAY_MS << MIN(inst->sup_losses, 6);
    delay = MIN(delay, (int64_t)RESPAWN_MAX_DELAY_MS);
    inst->sup_losses++;
    inst->sup_lost_at = now;
    if (inst->sup_losses > 3)
        log_warn("%s:%lld: supervisor lost %d times in a row: the next in %lld s", inst->app->name,
                 (long long)inst->id, inst->sup_losses, (long long)delay / 1000);
    struct respawn_ctx *rc = malloc(sizeof(*rc));
    if (!rc)
        return;
    rc->d = d;
    rc->id = inst->id;
    if (ev_timer_add(d->loop, delay, on_respawn_timer, rc) < 0)
        free(rc);
}

void supervisor_lost_before_adoption(struct daemon *d, struct inst *inst)
{
    if (inst->deleting) {
        remove_inst(d, inst);
        return;
    }
    if (!inst->want_running) {
        set_own_status(inst, LINK_NONE, STATUS_STOPPED,
                       "its supervisor died before the daemon could adopt it");
        return;
    }
    set_own_status(inst, LINK_LOST, STATUS_LOST, "its supervisor died before it was adopted");
    respawn_later(d, inst);
    daemon_persist(d);
}

void supervisor_gone(struct daemon *d, struct inst *inst)
{
    if (d->exiting)
        return;
    if (inst->deleting || inst->snap.status == STATUS_EXITING) {
        remove_inst(d, inst);
        return;
    }
    log_warn("%s:%lld: supervisor %d exited unexpectedly", inst->app->name, (long long)inst->id,
             (int)inst->snap.sup_pid);
    /* its app is an orphan: nothing reads its pipes and nothing would stop
     * it; kill it and whatever escaped its session, so that a replacement
     * can take its place (and its port) */
    orphans_kill(d, inst->id, inst->gen);
    set_own_status(inst, inst->want_running ? LINK_LOST : LINK_NONE,
                   inst->want_running ? STATUS_LOST : STATUS_STOPPED,
                   "supervisor exited unexpectedly");
    if (inst->want_running)
        respawn_later(d, inst);
    daemon_instances_changed(d);
}
