/* reload.c - zero-downtime rolling reload (see reload.h). */
#include "daemon/reload.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/pidfd.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/describe.h"
#include "daemon/lifecycle.h"
#include "daemon/listeners.h"
#include "daemon/registry.h"
#include "daemon/server.h"
#include "daemon/stats.h"
#include "daemon/suplink.h"
#include "loop/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS 200
#define GRACE_MS 5000

enum phase { PHASE_STARTING, PHASE_DRAINING, PHASE_RESTARTING };

struct slot_job {
    int64_t id;
    enum phase phase;
    struct suplink *replacement; /* PHASE_STARTING */
    int old_pidfd;               /* PHASE_DRAINING: the old supervisor */
    int64_t deadline;            /* monotonic ms */
    int64_t t0;                  /* wall ms the job began (restart path) */
};

struct reload {
    struct reload *next;
    struct daemon *d;
    struct client *client;
    int64_t *ids;
    size_t n_ids, next_index;
    int parallel;
    struct slot_job active[RELOAD_MAX_PARALLEL];
    int n_active;
    int replaced, restarted;
    int aborted;
    char error[512];
    int64_t timer;
};

static struct reload *reloads;

static void finish(struct reload *r)
{
    struct daemon *d = r->d;
    for (struct reload **pp = &reloads; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    ev_timer_cancel(d->loop, r->timer);
    daemon_persist(d);
    if (r->client) {
        stats_sample(d);
        json_t *reply =
            json_pack("{s:i, s:i}", "replaced", r->replaced, "restarted", r->restarted);
        describe_into(d, reply, NULL, 0);
        if (r->aborted) {
            json_object_set_new(reply, "ok", json_false());
            json_object_set_new(reply, "error", json_string(r->error));
            json_object_set_new(reply, "errors", json_pack("[s]", r->error));
        }
        server_reply(r->client, reply);
    }
    free(r->ids);
    free(r);
}

static void abort_reload(struct reload *r, struct inst *inst, const char *why)
{
    if (!r->aborted) {
        r->aborted = 1;
        snprintf(r->error, sizeof(r->error), "reload of %s aborted at instance %lld: %s",
                 inst ? inst->app->name : "?", inst ? (long long)inst->id : -1LL, why);
        log_warn("%s", r->error);
    }
}

/* Starts the next instance's replacement. Returns 0, or -1 when that
 * instance was finished at once (gone, stopped, or failed to spawn). */
static int start_one(struct reload *r, int64_t id)
{
    struct daemon *d = r->d;
    struct inst *inst = registry_find_inst(&d->reg, id);
    if (!inst || !inst->want_running || !inst->link || inst->next_link)
        return -1; /* gone, stopped, or already being replaced */
    struct slot_job *j = &r->active[r->n_active];
    memset(j, 0, sizeof(*j));
    j->id = id;
    j->old_pidfd = -1;
    j->t0 = wall_ms();
    const json_t *c = inst->app->config;
    if (!listeners_any(inst->app)) {
        char err[256];
        j->phase = PHASE_RESTARTING;
        j->deadline = mono_ms() + cfg_int(c, "kill_timeout", CFG_DEFAULT_KILL_TIMEOUT_MS) +
                      cfg_int(c, "listen_timeout", CFG_DEFAULT_LISTEN_TIMEOUT_MS) + GRACE_MS;
        if (lifecycle_restart(d, inst, err, sizeof(err)) < 0) {
            abort_reload(r, inst, err);
            return -1;
        }
        r->n_active++;
        return 0;
    }
    int fds[16];
    char names[1024], err[512];
    int n = listeners_for_slot(inst->app, inst->slot, fds, 16, names, sizeof(names));
    struct suplink *l = suplink_spawn_replacement(d, inst, inst->gen + 1, inst->snap.restarts + 1,
                                                  fds, n, n ? names : NULL, err, sizeof(err));
    if (!l) {
        abort_reload(r, inst, err);
        return -1;
    }
    inst->next_link = l;
    j->phase = PHASE_STARTING;
    j->replacement = l;
    j->deadline =
        mono_ms() + cfg_int(c, "listen_timeout", CFG_DEFAULT_LISTEN_TIMEOUT_MS) + GRACE_MS;
    r->n_active++;
    return 0;
}

static void drop_job(struct reload *r, int k)
{
    if (r->active[k].old_pidfd >= 0) {
        ev_io_del(r->d->loop, r->active[k].old_pidfd);
        close(r->active[k].old_pidfd);
    }
    r->active[k] = r->active[--r->n_active];
}

static void on_old_exit(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    (void)fd;
    (void)events;
    reload_poll(data);
}

/* The replacement is ready: it becomes the instance's supervisor, the old
 * one drains and exits. */
static void promote(struct reload *r, struct slot_job *j, struct inst *inst)
{
    struct suplink *l = j->replacement;
    const struct inst_snap *snap = suplink_snap(l);
    struct suplink *old = suplink_promote(l);
    inst->gen++;
    r->replaced++;
    log_info("%s:%lld: replaced by supervisor %d (pid %d)", inst->app->name, (long long)inst->id,
             (int)snap->sup_pid, (int)snap->pid);
    j->replacement = NULL;
    j->phase = PHASE_DRAINING;
    j->deadline = mono_ms() +
                  cfg_int(inst->app->config, "kill_timeout", CFG_DEFAULT_KILL_TIMEOUT_MS) +
                  GRACE_MS;
    if (old) {
        pid_t pid = suplink_pid(old);
        j->old_pidfd = pid > 0 ? pidfd_open_cloexec(pid) : -1;
        if (j->old_pidfd >= 0)
            ev_io_add(r->d->loop, j->old_pidfd, EV_READ, on_old_exit, r->d);
        suplink_request(old, "delete", NULL, NULL, NULL, NULL);
    }
    daemon_persist(r->d);
}

/* Advances one job; returns 1 when it is finished. */
static int step(struct reload *r, struct slot_job *j)
{
    struct inst *inst = registry_find_inst(&r->d->reg, j->id);
    int64_t now = mono_ms();
    switch (j->phase) {
    case PHASE_RESTARTING:
        if (!inst)
            return 1;
        if (!strcmp(inst->snap.status, "online") && inst->snap.started_at >= j->t0) {
            r->restarted++;
            return 1;
        }
        if (!strcmp(inst->snap.status, "errored") || now > j->deadline) {
            abort_reload(r, inst, inst->snap.reason[0] ? inst->snap.reason : "restart failed");
            return 1;
        }
        return 0;
    case PHASE_STARTING: {
        if (!inst || inst->next_link != j->replacement) {
            /* the replacement's link dropped (it died before being ready) */
            abort_reload(r, inst, "the replacement exited before it was ready");
            return 1;
        }
        const struct inst_snap *s = suplink_snap(j->replacement);
        if (!strcmp(s->status, "online") && s->ready) {
            promote(r, j, inst);
            return 0;
        }
        const char *why = NULL;
        if (!strcmp(s->status, "errored") || !strcmp(s->status, "stopped") ||
            !strcmp(s->status, "waiting restart") || s->last_exit_at)
            why = s->reason[0] ? s->reason : "the replacement exited";
        else if (now > j->deadline)
            why = "the replacement did not become ready in time";
        if (why) {
            char msg[400];
            snprintf(msg, sizeof(msg), "%s; the old instance keeps serving", why);
            abort_reload(r, inst, msg);
            inst->next_link = NULL;
            suplink_request(j->replacement, "delete", NULL, NULL, NULL, NULL);
            /* the link stays open until the supervisor exits; it no longer
             * belongs to the instance */
            suplink_disown(j->replacement);
            j->replacement = NULL;
            return 1;
        }
        return 0;
    }
    case PHASE_DRAINING: {
        int gone = 1;
        if (j->old_pidfd >= 0) {
            /* a pidfd turns readable when its process exits */
            struct pollfd p = {.fd = j->old_pidfd, .events = POLLIN};
            gone = poll(&p, 1, 0) > 0;
        }
        if (gone)
            return 1;
        if (now > j->deadline) {
            pidfd_signal(j->old_pidfd, SIGKILL);
            return 1;
        }
        return 0;
    }
    }
    return 1;
}

static void advance(struct reload *r)
{
    for (int k = 0; k < r->n_active;) {
        if (step(r, &r->active[k]))
            drop_job(r, k);
        else
            k++;
    }
    while (!r->aborted && r->n_active < r->parallel && r->next_index < r->n_ids) {
        if (start_one(r, r->ids[r->next_index++]) < 0)
            continue;
        /* a replacement may be ready at once (never: it must report first) */
    }
    if (r->n_active == 0 && (r->aborted || r->next_index >= r->n_ids))
        finish(r);
}

void reload_poll(struct daemon *d)
{
    (void)d;
    /* advancing may finish (free) the current reload: walk from the head */
    struct reload *r = reloads;
    while (r) {
        struct reload *next = r->next;
        advance(r);
        r = next;
    }
}

static void on_tick(struct ev_loop *loop, void *data)
{
    struct reload *r = data;
    r->timer = ev_timer_add(loop, TICK_MS, on_tick, r);
    reload_poll(r->d);
}

void reload_instances(struct daemon *d, struct client *c, struct inst **insts, size_t n,
                      int parallel)
{
    struct reload *r = calloc(1, sizeof(*r));
    if (r)
        r->ids = calloc(n ? n : 1, sizeof(int64_t));
    if (!r || !r->ids) {
        free(r);
        server_reply_error(c, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        r->ids[i] = insts[i]->id;
    r->n_ids = n;
    r->d = d;
    r->client = c;
    r->parallel = MAX(1, MIN(parallel, RELOAD_MAX_PARALLEL));
    r->next = reloads;
    reloads = r;
    r->timer = ev_timer_add(d->loop, TICK_MS, on_tick, r);
    advance(r);
}

void reload_client_gone(struct daemon *d, struct client *c)
{
    (void)d;
    for (struct reload *r = reloads; r; r = r->next)
        if (r->client == c)
            r->client = NULL;
}

void reload_free_all(struct daemon *d)
{
    while (reloads) {
        struct reload *r = reloads;
        reloads = r->next;
        for (int k = 0; k < r->n_active; k++)
            if (r->active[k].old_pidfd >= 0)
                close(r->active[k].old_pidfd);
        ev_timer_cancel(d->loop, r->timer);
        free(r->ids);
        free(r);
    }
}
