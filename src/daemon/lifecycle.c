/* lifecycle.c - instance start/stop/restart/delete and supervisor loss. */
#include "daemon/lifecycle.h"
#include "base/log.h"
#include "base/pidfd.h"
#include "base/timeutil.h"
#include "daemon/adopt.h"
#include "daemon/inst_spec.h"
#include "daemon/listeners.h"
#include "daemon/orphans.h"
#include "daemon/registry.h"
#include "daemon/suplink.h"
#include "loop/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RESPAWN_DELAY_MS 1000

static int spawn_supervisor(struct daemon *d, struct inst *inst, int start, char *err,
                            size_t errlen)
{
    int fds[16];
    char names[1024];
    int n = listeners_for_slot(inst->app, inst->slot, fds, 16, names, sizeof(names));
    inst->gen++;
    int r = suplink_spawn(d, inst, start, fds, n, n ? names : NULL, err, errlen);
    if (r < 0) {
        snprintf(inst->snap.status, sizeof(inst->snap.status), "errored");
        snprintf(inst->snap.reason, sizeof(inst->snap.reason), "%s", err);
        return r;
    }
    snprintf(inst->snap.status, sizeof(inst->snap.status), "%s", start ? "launching" : "stopped");
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
    if (spawn_supervisor(d, inst, start, err, errlen) < 0) {
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
    if (err)
        snprintf(err, errlen,
                 "%s (id %lld): its supervisor (pid %d) has not answered since the daemon "
                 "started (stopped?); try again when it does",
                 inst->app->name, (long long)inst->id, (int)inst->snap.sup_pid);
    return -EBUSY;
}

int lifecycle_start(struct daemon *d, struct inst *inst, char *err, size_t errlen)
{
    int r = still_adopting(inst, err, errlen);
    if (r < 0)
        return r;
    inst->want_running = 1;
    if (inst->link)
        return suplink_request(inst->link, "start", NULL, NULL, NULL, NULL);
    return spawn_supervisor(d, inst, 1, err, errlen);
}

int lifecycle_stop(struct daemon *d, struct inst *inst)
{
    (void)d;
    if (still_adopting(inst, NULL, 0) < 0)
        return -EBUSY;
    inst->want_running = 0;
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
        return suplink_request(inst->link, "restart", NULL, NULL, NULL, NULL);
    inst->snap.restarts++;
    return spawn_supervisor(d, inst, 1, err, errlen);
}

static void remove_inst(struct daemon *d, struct inst *inst)
{
    struct app *app = inst->app;
    if (inst->next_link) {
        /* a reload's replacement for an instance that is going away */
        suplink_request(inst->next_link, "delete", NULL, NULL, NULL, NULL);
        suplink_disown(inst->next_link);
    }
    if (inst->link)
        suplink_disown(inst->link);
    registry_remove_inst(&d->reg, inst);
    if (registry_count_app_insts(&d->reg, app) == 0)
        registry_remove_app(&d->reg, app);
    daemon_persist(d);
    daemon_instances_changed(d);
}

int lifecycle_delete(struct daemon *d, struct inst *inst)
{
    inst->want_running = 0;
    inst->deleting = 1;
    if (inst->link)
        return suplink_request(inst->link, "delete", NULL, NULL, NULL, NULL);
    if (inst->adopting) {
        /* it does not answer: kill it; its exit removes the instance */
        adopt_kill(d, inst->id);
        return 0;
    }
    remove_inst(d, inst);
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
        inst->snap.restarts++;
        if (spawn_supervisor(rc->d, inst, 1, err, sizeof(err)) < 0)
            log_error("%s:%lld: cannot restart supervisor: %s", inst->app->name,
                      (long long)inst->id, err);
        daemon_persist(rc->d);
        daemon_instances_changed(rc->d);
    }
    free(rc);
}

void supervisor_lost_before_adoption(struct daemon *d, struct inst *inst)
{
    if (inst->deleting) {
        remove_inst(d, inst);
        return;
    }
    inst->snap.pid = 0;
    snprintf(inst->snap.reason, sizeof(inst->snap.reason),
             "its supervisor died before the daemon could adopt it");
    if (!inst->want_running) {
        snprintf(inst->snap.status, sizeof(inst->snap.status), "stopped");
        return;
    }
    char err[256];
    inst->snap.restarts++;
    if (spawn_supervisor(d, inst, 1, err, sizeof(err)) < 0)
        log_error("%s:%lld: cannot restart supervisor: %s", inst->app->name, (long long)inst->id,
                  err);
    daemon_persist(d);
}

void supervisor_gone(struct daemon *d, struct inst *inst)
{
    if (d->exiting)
        return;
    if (inst->deleting || inst->snap.deleted) {
        remove_inst(d, inst);
        return;
    }
    log_warn("%s:%lld: supervisor %d exited unexpectedly", inst->app->name, (long long)inst->id,
             (int)inst->snap.sup_pid);
    /* its app is an orphan: nothing reads its pipes and nothing would stop
     * it; kill it and whatever escaped its session, so that a replacement
     * can take its place (and its port) */
    orphans_kill(d, inst->id, inst->gen);
    inst->snap.pid = 0;
    snprintf(inst->snap.status, sizeof(inst->snap.status), "%s",
             inst->want_running ? "waiting restart" : "stopped");
    snprintf(inst->snap.reason, sizeof(inst->snap.reason), "supervisor exited unexpectedly");
    if (inst->want_running) {
        struct respawn_ctx *rc = malloc(sizeof(*rc));
        if (rc) {
            rc->d = d;
            rc->id = inst->id;
            ev_timer_add(d->loop, RESPAWN_DELAY_MS, on_respawn_timer, rc);
        }
    }
    daemon_instances_changed(d);
}
