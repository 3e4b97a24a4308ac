/* adopt.c - re-adopting running supervisors after a daemon restart
 * (adopt.h). */
#include "daemon/instances/adopt.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/paths.h"
#include "base/pidfd.h"
#include "base/timeutil.h"
#include "base/unixsock.h"
#include "config/app_config.h"
#include "daemon/instances/inst_spec.h"
#include "daemon/instances/lifecycle.h"
#include "daemon/instances/listeners.h"
#include "daemon/instances/orphans.h"
#include "daemon/state/persist.h"
#include "daemon/state/registry.h"
#include "daemon/instances/suplink.h"
#include "loop/loop.h"
#include "proto/kv.h"
#include "proto/spec.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RETRY_FIRST_MS 50
#define RETRY_MAX_MS 1000
#define SLOW_AFTER_MS 3000

/* A live supervisor found at start that has not answered yet. */
struct adoptee {
    struct adoptee *next;
    struct daemon *d;
    struct found_sup sup;
    int pidfd;
    char sock[PATH_MAX];
    struct suplink *link; /* connected, hello sent */
    int64_t retry_timer;
    int64_t retry_ms;
    int64_t since; /* mono ms */
    int warned;
};

static void try_connect(struct adoptee *a);

static void on_retry(struct ev_loop *loop, void *data)
{
    (void)loop;
    try_connect(data);
}

static void unlink_adoptee(struct daemon *d, struct adoptee *a)
{
    for (struct adoptee **pp = &d->adoptees; *pp; pp = &(*pp)->next)
        if (*pp == a) {
            *pp = a->next;
            break;
        }
}

/* Forgets a (answered or gone); its instance may now get a supervisor. */
static void adoptee_free(struct adoptee *a)
{
    struct daemon *d = a->d;
    unlink_adoptee(d, a);
    ev_timer_cancel(d->loop, a->retry_timer);
    ev_io_close(d->loop, &a->pidfd);
    struct inst *in = registry_find_inst(&d->reg, a->sup.id);
    if (in && in->adopting > 0)
        in->adopting--;
    free(a);
    if (!d->adoptees && !d->exiting)
        daemon_adoption_settled(d);
}

static void schedule_retry(struct adoptee *a)
{
    a->retry_ms = a->retry_ms ? MIN(a->retry_ms * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
    int64_t t = ev_timer_add(a->d->loop, a->retry_ms, on_retry, a);
    a->retry_timer = t > 0 ? t : 0;
    if (!a->warned && mono_ms() - a->since > SLOW_AFTER_MS) {
        a->warned = 1;
        log_warn("instance %lld: supervisor %d does not answer yet (stopped?): waiting for it, "
                 "no second copy is started",
                 (long long)a->sup.id, (int)a->sup.pid);
    }
}

/* An app that is not in state.json (it could not be written) but whose
 * supervisor runs: its config is rebuilt from the spec the supervisor runs.
 * What only the daemon applies (watch, cron_restart, instances, namespace)
 * is back to defaults. */
static struct app *rebuild_app(struct daemon *d, const struct inst_spec *sp)
{
    char why[128], err[512];
    if (!sp->name || app_name_check(sp->name, why, sizeof(why)) < 0)
        return NULL;
    json_t *args = json_array(), *env = json_object();
    for (size_t i = 1; sp->argv && sp->argv[0] && sp->argv[i]; i++)
        json_array_append_new(args, json_string(sp->argv[i]));
    for (size_t i = 0; sp->envp && sp->envp[i]; i++) {
        const char *eq = strchr(sp->envp[i], '=');
        if (eq && strncmp(sp->envp[i], "DROVER_INSTANCE_KEY=", 20) != 0)
            json_object_setn_new(env, sp->envp[i], (size_t)(eq - sp->envp[i]), json_string(eq + 1));
    }
    json_t *raw = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:b}", "name", sp->name, "script",
                            sp->file, "interpreter", "none", "args", args, "env", env,
                            "kill_timeout", (json_int_t)sp->kill_timeout_ms, "listen_timeout",
                            (json_int_t)sp->listen_timeout_ms, "autorestart", sp->autorestart);
    if (raw && sp->cwd)
        json_object_set_new(raw, "cwd", json_string(sp->cwd));
    if (raw && sp->preload)
        json_object_set_new(raw, "exec_mode", json_string("cluster"));
    json_t *config = NULL;
    if (!raw || app_config_normalize(raw, &config, NULL, err, sizeof(err)) < 0) {
        json_decref(raw);
        return NULL;
    }
    json_decref(raw);
    log_warn("app '%s' was not in state.json: rebuilt from its running supervisor (watch, "
             "cron_restart and other daemon-side options are back to defaults)",
             sp->name);
    return registry_add_app(&d->reg, sp->name, config, wall_ms());
}

/* Tells a supervisor we do not keep (a duplicate left by an interrupted
 * reload) to stop its app and exit. */
static void dismiss(struct suplink *l, int64_t id, int64_t gen)
{
    log_info("instance %lld: dismissing duplicate supervisor %d (generation %lld)", (long long)id,
             (int)suplink_pid(l), (long long)gen);
    suplink_request(l, "delete", NULL, NULL, NULL, NULL);
}

static void on_listen_fds(struct daemon *d, struct suplink *l, struct inst *inst,
                          const struct kv_msg *reply, int ok, int *fds, unsigned n_fds, void *data)
{
    (void)d;
    (void)l;
    (void)reply;
    (void)data;
    if (!ok || !inst)
        return;
    /* the app's listening sockets: the daemon owns them again */
    for (unsigned i = 0; i < n_fds; i++) {
        listeners_adopt(inst->app, fds[i], inst->slot);
        fds[i] = -1;
    }
}

static void on_lc_map(struct daemon *d, struct suplink *l, struct inst *inst,
                      const struct kv_msg *reply, int ok, int *fds, unsigned n_fds, void *data)
{
    (void)d;
    (void)l;
    (void)reply;
    (void)data;
    /* least_conn: the counts the running workers keep, so the program of
     * this daemon reads what they count (proto/least_conn.h) */
    if (ok && inst && n_fds == 1 && listeners_lc_adopt(inst->app, fds[0]) == 0)
        fds[0] = -1;
}

/* Attaches the answered supervisor of a to instance in. */
static void attach(struct daemon *d, struct adoptee *a, struct suplink *l, struct inst *in)
{
    const struct inst_snapshot *snap = suplink_snap(l);
    int64_t id = a->sup.id, gen = snap->gen;
    if (in->link) {
        /* two supervisors for one id (an interrupted reload): keep the newer
         * unless it is not up yet and the older is */
        int up_new = snap->status == STATUS_ONLINE, up_old = in->snap.status == STATUS_ONLINE;
        int newer_wins = up_new != up_old ? up_new : gen > in->gen;
        if (!newer_wins) {
            dismiss(l, id, gen);
            adoptee_free(a);
            return;
        }
        struct suplink *prev = in->link;
        suplink_disown(prev);
        dismiss(prev, id, in->gen);
    }
    suplink_bind(l, in, gen);
    if (snap->listen_fds > 0)
        suplink_request(l, "listen_fds", NULL, NULL, on_listen_fds, NULL);
    if (in->app->cfg.balancing == BALANCE_LEAST_CONN)
        suplink_request(l, "lc_map", NULL, NULL, on_lc_map, NULL);
    log_info("instance %lld: re-adopted supervisor %d (%s)", (long long)id, (int)a->sup.pid,
             status_name(snap->status));
    adoptee_free(a);
    daemon_persist(d);
    daemon_instances_changed(d);
}

/* A new instance for an adopted supervisor that state.json did not know. */
static struct inst *new_inst(struct daemon *d, struct app *app, const struct inst_snapshot *snap)
{
    struct inst *in = registry_add_inst(&d->reg, app, snap->id);
    if (!in)
        return NULL;
    in->want_running = snap->status != STATUS_STOPPED;
    in->created_at = snap->created_at ? snap->created_at : wall_ms();
    in->slot = (int)app->n_insts - 1;
    in->adopting++; /* balanced by adoptee_free */
    inst_resolve_log_paths(d, in);
    return in;
}

static void on_spec(struct daemon *d, struct suplink *l, struct inst *unused,
                    const struct kv_msg *m, int ok, int *fds, unsigned n_fds, void *data)
{
    struct adoptee *a = data;
    (void)unused;
    (void)fds;
    (void)n_fds;
    a->link = NULL;
    if (!ok) {
        schedule_retry(a);
        return;
    }
    struct inst_spec sp;
    const char *bad;
    char *copy = malloc(m->len + 1);
    struct app *app = NULL;
    if (copy) {
        memcpy(copy, m->buf, m->len);
        if (spec_unpack(copy, m->len, &sp, &bad) == 0)
            app = registry_find_app(&d->reg, sp.name) ? registry_find_app(&d->reg, sp.name)
                                                      : rebuild_app(d, &sp);
        spec_free(&sp);
    }
    struct inst *in = app ? new_inst(d, app, suplink_snap(l)) : NULL;
    if (!in) {
        dismiss(l, a->sup.id, suplink_snap(l)->gen);
        return;
    }
    attach(d, a, l, in);
}

/* The supervisor answered hello (its snapshot is in the link). */
static void on_hello(struct daemon *d, struct suplink *l, struct inst *unused,
                     const struct kv_msg *m, int ok, int *fds, unsigned n_fds, void *data)
{
    struct adoptee *a = data;
    (void)unused;
    (void)m;
    (void)fds;
    (void)n_fds;
    if (!ok) {
        /* it dropped us: if it died, its pidfd tells; else try again */
        a->link = NULL;
        schedule_retry(a);
        return;
    }
    const struct inst_snapshot *snap = suplink_snap(l);
    if (snap->status == STATUS_EXITING) {
        a->link = NULL;
        return; /* on its way out: its exit (pidfd) settles the instance */
    }
    struct inst *in = registry_find_inst(&d->reg, a->sup.id);
    if (!in) {
        struct app *app = registry_find_app(&d->reg, snap->name);
        if (!app) {
            /* not in state.json: learn what it runs first */
            if (suplink_request(l, "spec", NULL, NULL, on_spec, a) < 0) {
                a->link = NULL;
                schedule_retry(a);
            }
            return;
        }
        in = new_inst(d, app, snap);
        if (!in) {
            a->link = NULL;
            dismiss(l, a->sup.id, snap->gen);
            return;
        }
    }
    a->link = NULL;
    attach(d, a, l, in);
}

static void try_connect(struct adoptee *a)
{
    a->retry_timer = 0;
    int fd = unix_connect(a->sock, 1);
    if (fd >= 0) {
        a->link = suplink_attach(a->d, fd, a->sup.pid);
        if (!a->link) {
            close(fd);
            schedule_retry(a);
            return;
        }
        if (suplink_request(a->link, "hello", NULL, NULL, on_hello, a) < 0) {
            suplink_detach(a->link);
            a->link = NULL;
            schedule_retry(a);
        }
        return;
    }
    /* its socket file is gone (a wiped run dir): ask it to bind again */
    if (fd == -ENOENT || fd == -ECONNREFUSED)
        pidfd_signal(a->pidfd, SIGUSR2);
    schedule_retry(a);
}

/* A supervisor died before it was adopted: what it left is killed, and its
 * instance gets a new supervisor if it should run. */
static void on_adoptee_exit(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct adoptee *a = data;
    struct daemon *d = a->d;
    (void)loop;
    (void)fd;
    (void)events;
    if (a->link) {
        suplink_detach(a->link);
        a->link = NULL;
    }
    int64_t id = a->sup.id, gen = a->sup.gen;
    adoptee_free(a);
    orphans_kill(d, id, gen);
    struct inst *in = registry_find_inst(&d->reg, id);
    if (in && !in->link && !in->adopting)
        supervisor_lost_before_adoption(d, in);
    daemon_instances_changed(d);
}

static void add_adoptee(struct daemon *d, const struct found_sup *f)
{
    struct adoptee *a = calloc(1, sizeof(*a));
    if (!a)
        return;
    a->d = d;
    a->sup = *f;
    a->since = mono_ms();
    a->pidfd = pidfd_open_verified(f->pid, f->start_time);
    if (a->pidfd < 0) {
        free(a); /* gone since the scan */
        return;
    }
    char name[64];
    snprintf(name, sizeof(name), "%lld.%lld.sock", (long long)f->id, (long long)f->gen);
    if (path_join(a->sock, d->paths.sup_dir, name) < 0 ||
        ev_io_add(d->loop, a->pidfd, EV_READ, on_adoptee_exit, a) < 0) {
        close(a->pidfd);
        free(a);
        return;
    }
    a->next = d->adoptees;
    d->adoptees = a;
    struct inst *in = registry_find_inst(&d->reg, f->id);
    if (in) {
        in->adopting++;
        in->link_state = LINK_ADOPTING;
        in->snap.status = STATUS_ADOPTING;
        in->snap.sup_pid = f->pid;
        snprintf(in->snap.reason, sizeof(in->snap.reason),
                 "supervisor %d found running, not answered yet", (int)f->pid);
    }
    try_connect(a);
}

/* Files a crash may have left: temporary copies of state.json and dump.json
 * (we hold the lock, so no write of ours is in progress), socket files of
 * supervisors that are gone. */
static void remove_leftovers(struct daemon *d, const struct found_sup *live, size_t n_live)
{
    DIR *dir = opendir(d->paths.home);
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        if (strstr(de->d_name, ".json.tmp.") && unlinkat(dirfd(dir), de->d_name, 0) == 0)
            log_info("removed %s, left by an interrupted write", de->d_name);
    }
    if (dir)
        closedir(dir);
    dir = opendir(d->paths.sup_dir);
    while (dir && (de = readdir(dir))) {
        long long id, gen;
        char tail[8];
        if (sscanf(de->d_name, "%lld.%lld.%7s", &id, &gen, tail) != 3 || strcmp(tail, "sock"))
            continue;
        int alive = 0;
        for (size_t i = 0; i < n_live; i++)
            alive |= live[i].id == id && live[i].gen == gen;
        if (!alive)
            unlinkat(dirfd(dir), de->d_name, 0);
    }
    if (dir)
        closedir(dir);
}

void adopt_all(struct daemon *d)
{
    /* drover-runtime's first daemon: the runtime's command line says what
     * runs; a state.json a killed container left on a volume would start
     * stale apps beside it (live supervisors are still adopted below) */
    const char *fresh = getenv("DROVER_FRESH_STATE");
    if (fresh && !strcmp(fresh, "1"))
        log_info("DROVER_FRESH_STATE=1: not loading state.json (drover-runtime starts its apps)");
    else
        persist_load(d);
    unsetenv("DROVER_FRESH_STATE");
    struct found_sup *live = NULL;
    size_t n_live = 0;
    int r = orphans_find_supervisors(d, &live, &n_live);
    if (r < 0)
        log_error_errno(r, "cannot look for running supervisors");
    remove_leftovers(d, live, n_live);
    orphans_sweep_cgroups(d, live, n_live);
    for (size_t i = 0; i < n_live; i++)
        add_adoptee(d, &live[i]);
    free(live);

    /* instances with no live supervisor lost it while the daemon was away:
     * whatever it left is killed first, then they start again */
    size_t waiting = 0, restarted = 0;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        if (in->adopting) {
            waiting++;
            continue;
        }
        orphans_kill(d, in->id, -1);
        if (!in->want_running)
            continue;
        char err[256];
        if (lifecycle_restart(d, in, err, sizeof(err)) < 0)
            log_error("%s:%lld: cannot start: %s", in->app->name, (long long)in->id, err);
        else
            restarted++;
    }
    if (waiting || restarted)
        log_info("re-adopting %zu instance(s), restarted %zu whose supervisor was gone", waiting,
                 restarted);
    daemon_persist(d);
}

int adopt_pending(const struct daemon *d, int64_t id)
{
    for (const struct adoptee *a = d->adoptees; a; a = a->next)
        if (a->sup.id == id)
            return 1;
    return 0;
}

void adopt_kill(struct daemon *d, int64_t id)
{
    for (struct adoptee *a = d->adoptees; a; a = a->next)
        if (a->sup.id == id)
            pidfd_signal(a->pidfd, SIGKILL);
}

void adopt_free_all(struct daemon *d)
{
    while (d->adoptees) {
        struct adoptee *a = d->adoptees;
        if (a->link)
            suplink_detach(a->link);
        adoptee_free(a);
    }
}
