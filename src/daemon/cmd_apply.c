/* cmd_apply.c - "apply": the apps of an ecosystem file, PM2 style.
 *
 *   {"cmd": "apply", "mode": M, "apps": [...], "env": {...}, "update_env": B}
 *   {"cmd": "apply", "mode": "restart"|"reload", "targets": [...], "env": {...},
 *    "update_env": true}                      (restart <name> --update-env)
 *
 * Modes start, restart, startOrRestart, reload and startOrReload behave as
 * PM2's _startJson does: apps the daemon does not know are started; known
 * apps take the file's configuration and are restarted (or reloaded), their
 * stopped instances started. The configuration is declarative: the file's
 * replaces the stored one, so a variable removed from the file's env is gone
 * after the restart. With update_env the base environment (the shell's
 * variables) is replaced by the request's too; without it, the one captured
 * at the first start is kept. Every app is validated before anything is
 * touched. Modes stop and delete act on the named apps; names the daemon
 * does not know are warnings.
 *
 * A supervisor runs the spec it was started with, so an instance whose
 * configuration changed moves to a new supervisor: a running one is stopped
 * first (restart semantics: kill_timeout applies), then a replacement
 * (next generation, same id) starts on the new configuration and the old
 * supervisor is told to exit. Apps whose sockets the daemon holds are
 * reloaded instead, without downtime (reload.h), in the reload modes. */
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/apply.h"
#include "daemon/commands.h"
#include "daemon/inst_spec.h"
#include "daemon/lifecycle.h"
#include "daemon/listeners.h"
#include "daemon/registry.h"
#include "daemon/reload.h"
#include "daemon/replies.h"
#include "daemon/server.h"
#include "daemon/suplink.h"
#include "daemon/targets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPLY_MAX_APPS 1024
#define APPLY_GRACE_MS 10000

enum apply_mode { MODE_START, MODE_RESTART, MODE_RELOAD, MODE_STOP, MODE_DELETE };

/* --- moving instances to a new configuration ---------------------------- */

/* A request between its stop phase and its reply. */
struct apply_job {
    int64_t t0, timeout;
    struct inst_list all; /* what the reply waits for (ids copied below) */
    int64_t *ids, *swap_ids, *swap_gens;
    size_t n_ids, n_swap;
    struct inst_list reload; /* handed to reload_instances (reload.h) */
    int64_t *reload_ids;
    size_t n_reload;
    json_t *warnings;
};

static void warn(json_t *warnings, const struct inst *inst, const char *what, const char *err)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "%s (id %lld): %s: %s", inst->app->name, (long long)inst->id, what,
             err);
    json_array_append_new(warnings, json_string(msg));
}

/* Gives inst a new supervisor running the app's current config; the old
 * one (its app already stopped) is told to exit. restarted: count it as a
 * restart. */
static void swap_supervisor(struct daemon *d, struct inst *inst, int restarted, json_t *warnings)
{
    char err[512];
    inst->want_running = 1;
    if (!inst->link) {
        if (lifecycle_start(d, inst, err, sizeof(err)) < 0)
            warn(warnings, inst, "cannot start", err);
        return;
    }
    int fds[16];
    char names[1024];
    int n = listeners_for_slot(inst->app, inst->slot, fds, 16, names, sizeof(names));
    struct suplink *l =
        suplink_spawn_replacement(d, inst, inst->gen + 1, inst->snap.restarts + restarted, fds, n,
                                  n ? names : NULL, err, sizeof(err));
    if (!l) {
        warn(warnings, inst, "cannot start on the new configuration", err);
        return;
    }
    struct suplink *old = suplink_promote(l);
    inst->gen++;
    if (old)
        suplink_request(old, "delete", NULL, NULL, NULL, NULL);
}

static int64_t *ids_of(const struct inst_list *l)
{
    int64_t *ids = calloc(l->n ? l->n : 1, sizeof(*ids));
    for (size_t i = 0; ids && i < l->n; i++)
        ids[i] = l->items[i]->id;
    return ids;
}

/* Instances of ids that still exist (malloc'd array). */
static struct inst **existing(struct daemon *d, const int64_t *ids, size_t n, size_t *out_n)
{
    struct inst **arr = calloc(n ? n : 1, sizeof(*arr));
    *out_n = 0;
    for (size_t i = 0; arr && i < n; i++) {
        struct inst *in = registry_find_inst(&d->reg, ids[i]);
        if (in)
            arr[(*out_n)++] = in;
    }
    return arr;
}

static void job_free(struct apply_job *job)
{
    inst_list_free(&job->all);
    inst_list_free(&job->reload);
    free(job->ids);
    free(job->swap_ids);
    free(job->swap_gens);
    free(job->reload_ids);
    json_decref(job->warnings);
    free(job);
}

/* Last phase: the reply, after the instances settled; or the rolling
 * reload, which replies itself. */
static void reply_phase(struct daemon *d, struct client *c, struct apply_job *job)
{
    size_t n;
    struct inst **insts;
    if (job->n_reload > 0) {
        insts = existing(d, job->reload_ids, job->n_reload, &n);
        reload_instances(d, c, insts, n, 1);
        free(insts);
        c = NULL; /* the reload answers; the rest goes on silently */
    }
    insts = existing(d, job->ids, job->n_ids, &n);
    daemon_persist(d);
    wait_and_reply(d, c, OP_WAIT_SETTLED, insts, n, job->t0, job->timeout,
                   json_pack("{s:O}", "warnings", job->warnings));
    free(insts);
    job_free(job);
}

/* The running instances that change configuration are stopped: move each
 * to a new supervisor (unless someone already did: its generation moved). */
static void on_stopped(struct daemon *d, struct op *op, int timed_out)
{
    struct apply_job *job = op->data;
    (void)timed_out;
    for (size_t i = 0; i < job->n_swap; i++) {
        struct inst *in = registry_find_inst(&d->reg, job->swap_ids[i]);
        if (in && in->gen == job->swap_gens[i])
            swap_supervisor(d, in, 1, job->warnings);
    }
    reply_phase(d, op->client, job);
}

/* Starts the job: stop phase first when instances must be swapped. Takes
 * job. */
static void run_job(struct daemon *d, struct client *c, struct apply_job *job,
                    struct inst_list *swap)
{
    job->ids = ids_of(&job->all);
    job->n_ids = job->all.n;
    job->reload_ids = ids_of(&job->reload);
    job->n_reload = job->reload.n;
    job->timeout = apply_settle_timeout(job->all.items, job->all.n) + APPLY_GRACE_MS;
    job->swap_ids = ids_of(swap);
    job->swap_gens = calloc(swap->n ? swap->n : 1, sizeof(int64_t));
    job->n_swap = swap->n;
    if (!job->ids || !job->reload_ids || !job->swap_ids || !job->swap_gens) {
        server_reply_error(c, "out of memory");
        job_free(job);
        return;
    }
    for (size_t i = 0; i < swap->n; i++)
        job->swap_gens[i] = swap->items[i]->gen;
    if (swap->n == 0) {
        reply_phase(d, c, job);
        return;
    }
    struct op *op =
        op_new(d, c, OP_WAIT_STOPPED, swap->items, swap->n, job->t0,
               targets_max_kill_timeout(swap->items, swap->n) + APPLY_GRACE_MS, on_stopped, job);
    if (!op) {
        server_reply_error(c, "out of memory");
        job_free(job);
        return;
    }
    op_arm(d, op);
}

static int is_running(const struct inst *in)
{
    return in->link && in->want_running && strcmp(in->snap.status, "stopped") != 0 &&
           strcmp(in->snap.status, "errored") != 0;
}

/* Restarts (or starts) one instance of an app that already existed. */
static void act_on_inst(struct daemon *d, struct inst *in, enum apply_mode mode, int changed,
                        struct apply_job *job, struct inst_list *swap)
{
    char err[512];
    int running = is_running(in);
    if (mode == MODE_RELOAD && running && listeners_any(in->app)) {
        /* the replacement supervisors start on app->config: nothing else to do */
        inst_list_push(&job->reload, in);
        return;
    }
    inst_list_push(&job->all, in);
    if (changed && running) {
        /* stop on the old supervisor, then swap (on_stopped) */
        if (suplink_request(in->link, "stop", NULL, NULL, NULL, NULL) == 0) {
            inst_list_push(swap, in);
            return;
        }
    }
    if (changed) {
        swap_supervisor(d, in, 0, job->warnings);
        return;
    }
    /* unchanged: the supervisor's spec is still right. Fork apps have
     * nothing to hand over on reload: it is a restart, as in PM2. */
    int r = running ? lifecycle_restart(d, in, err, sizeof(err))
                    : lifecycle_start(d, in, err, sizeof(err));
    if (r < 0)
        warn(job->warnings, in, running ? "cannot restart" : "cannot start", err);
}

/* Stores the new config (and base env) of a known app. Returns 1 when
 * anything the supervisors run from changed. */
static int reconfigure(struct daemon *d, struct app *app, json_t *config, json_t *env,
                       int update_env, json_t *warnings)
{
    int changed = 0;
    if (!json_equal(app->config, config)) {
        registry_set_app_config(&d->reg, app, json_incref(config));
        changed = 1;
    }
    if (update_env && json_is_object(env) && !(app->base_env && json_equal(app->base_env, env))) {
        json_decref(app->base_env);
        app->base_env = json_incref(env);
        changed = 1;
    }
    size_t count = registry_count_app_insts(&d->reg, app);
    int want = apply_instance_count(app->config);
    if (changed) {
        char err[512];
        for (size_t i = 0; i < d->reg.n_insts; i++)
            if (d->reg.insts[i]->app == app)
                inst_resolve_log_paths(d, d->reg.insts[i]);
        if (listeners_prebind(app, (int)count, err, sizeof(err)) < 0)
            json_array_append_new(warnings, json_string(err));
    }
    if ((size_t)want != count) {
        char msg[300];
        snprintf(msg, sizeof(msg),
                 "app '%s' runs %zu instance(s), its configuration asks for %d: use "
                 "drover scale %s %d",
                 app->name, count, want, app->name, want);
        json_array_append_new(warnings, json_string(msg));
    }
    return changed;
}

/* Validates every app of the request into norm[] (new references). */
static int validate(struct daemon *d, json_t *apps, json_t **norm, json_t *warnings, char *err,
                    size_t errlen)
{
    size_t n = json_array_size(apps), new_insts = 0;
    for (size_t i = 0; i < n; i++) {
        if (app_config_normalize(json_array_get(apps, i), &norm[i], warnings, err, errlen) < 0)
            return -EINVAL;
        const char *name = cfg_str(norm[i], "name", NULL);
        if (!name) {
            snprintf(err, errlen, "app #%zu has no name", i + 1);
            return -EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg_str(norm[j], "name", ""), name)) {
                snprintf(err, errlen, "app '%s' appears twice", name);
                return -EINVAL;
            }
        if (!registry_find_app(&d->reg, name))
            new_insts += (size_t)apply_instance_count(norm[i]);
    }
    if (d->reg.n_insts + new_insts > CFG_HARD_MAX_INSTANCES * 4) {
        snprintf(err, errlen, "too many instances: the daemon's limit is %d",
                 CFG_HARD_MAX_INSTANCES * 4);
        return -E2BIG;
    }
    return 0;
}

static void apply_configs(struct daemon *d, struct client *c, json_t *req, enum apply_mode mode)
{
    json_t *apps = json_object_get(req, "apps");
    json_t *env = json_object_get(req, "env");
    int update_env = json_is_true(json_object_get(req, "update_env"));
    size_t n = json_array_size(apps);
    json_t **norm = calloc(n, sizeof(*norm));
    struct apply_job *job = calloc(1, sizeof(*job));
    char err[1024];
    if (!norm || !job) {
        server_reply_error(c, "out of memory");
        free(norm);
        free(job);
        return;
    }
    job->warnings = json_array();
    job->t0 = wall_ms();
    if (validate(d, apps, norm, job->warnings, err, sizeof(err)) < 0) {
        server_reply_error(c, "%s", err);
        for (size_t i = 0; i < n; i++)
            json_decref(norm[i]);
        free(norm);
        job_free(job);
        return;
    }
    struct inst_list swap = {0};
    for (size_t i = 0; i < n; i++) {
        const char *name = cfg_str(norm[i], "name", "");
        struct app *app = registry_find_app(&d->reg, name);
        if (!app) {
            if (!apply_create_app(d, name, norm[i], env, apply_instance_count(norm[i]), NULL,
                                  &job->all, job->warnings, err, sizeof(err))) {
                char msg[1200];
                snprintf(msg, sizeof(msg), "cannot start app '%s': %s", name, err);
                json_array_append_new(job->warnings, json_string(msg));
            }
            continue;
        }
        int changed = reconfigure(d, app, norm[i], env, update_env, job->warnings);
        struct inst_list mine = {0};
        for (size_t k = 0; k < d->reg.n_insts; k++)
            if (d->reg.insts[k]->app == app)
                inst_list_push(&mine, d->reg.insts[k]);
        for (size_t k = 0; k < mine.n; k++)
            act_on_inst(d, mine.items[k], mode, changed, job, &swap);
        inst_list_free(&mine);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(norm[i]);
    free(norm);
    run_job(d, c, job, &swap);
    inst_list_free(&swap);
}

/* restart|reload <targets> --update-env: the stored configs, the new base
 * environment. */
static void apply_targets(struct daemon *d, struct client *c, json_t *req, enum apply_mode mode)
{
    struct inst **insts;
    size_t n;
    char err[512];
    if (targets_resolve(d, req, &insts, &n, err, sizeof(err)) < 0) {
        server_reply_error(c, "%s", err);
        return;
    }
    struct apply_job *job = calloc(1, sizeof(*job));
    if (!job) {
        free(insts);
        server_reply_error(c, "out of memory");
        return;
    }
    job->warnings = json_array();
    job->t0 = wall_ms();
    json_t *env = json_object_get(req, "env");
    struct inst_list swap = {0};
    for (size_t i = 0; i < n; i++) {
        struct app *app = insts[i]->app;
        if (json_is_object(env) && !(app->base_env && json_equal(app->base_env, env))) {
            json_decref(app->base_env);
            app->base_env = json_incref(env);
        }
        /* the supervisor's spec may predate the app's base env even when this
         * request did not change it (an earlier instance of the list did):
         * every target moves to a fresh supervisor */
        act_on_inst(d, insts[i], mode, 1, job, &swap);
    }
    free(insts);
    run_job(d, c, job, &swap);
    inst_list_free(&swap);
}

/* stop/delete of the file's apps: unknown names are warnings. */
static void apply_stop_delete(struct daemon *d, struct client *c, json_t *req, int del)
{
    json_t *apps = json_object_get(req, "apps");
    json_t *warnings = json_array();
    struct inst_list insts = {0};
    size_t i;
    json_t *a;
    json_array_foreach(apps, i, a)
    {
        const char *name = json_string_value(json_object_get(a, "name"));
        struct app *app = name ? registry_find_app(&d->reg, name) : NULL;
        if (!app) {
            char msg[300];
            snprintf(msg, sizeof(msg), "app '%s' not found", name ? name : "?");
            json_array_append_new(warnings, json_string(msg));
            continue;
        }
        for (size_t k = 0; k < d->reg.n_insts; k++)
            if (d->reg.insts[k]->app == app)
                inst_list_push(&insts, d->reg.insts[k]);
    }
    if (insts.n == 0) {
        server_reply_error(c, "none of the file's apps is known (%zu app(s) in the file)",
                           json_array_size(apps));
        json_decref(warnings);
        return;
    }
    int64_t t0 = wall_ms();
    int64_t timeout = targets_max_kill_timeout(insts.items, insts.n) + APPLY_GRACE_MS;
    if (!del) {
        for (i = 0; i < insts.n; i++)
            lifecycle_stop(d, insts.items[i]);
        daemon_persist(d);
        wait_and_reply(d, c, OP_WAIT_STOPPED, insts.items, insts.n, t0, timeout,
                       json_pack("{s:o}", "warnings", warnings));
        inst_list_free(&insts);
        return;
    }
    /* the op holds ids: instances removed at once are simply gone */
    struct op *op = op_new(d, c, OP_WAIT_GONE, insts.items, insts.n, t0, timeout,
                           reply_processes_when_done, NULL);
    for (i = 0; i < insts.n; i++)
        lifecycle_delete(d, insts.items[i]);
    inst_list_free(&insts);
    if (!op) {
        json_decref(warnings);
        server_reply_error(c, "out of memory");
        return;
    }
    json_object_set_new(op->extra, "warnings", warnings);
    op_arm(d, op);
}

static int parse_mode(const char *s, enum apply_mode *mode)
{
    static const struct {
        const char *name;
        enum apply_mode mode;
    } modes[] = {
        {"start", MODE_START},   {"restart", MODE_RESTART},      {"startOrRestart", MODE_RESTART},
        {"reload", MODE_RELOAD}, {"startOrReload", MODE_RELOAD}, {"stop", MODE_STOP},
        {"delete", MODE_DELETE},
    };
    for (size_t i = 0; s && i < sizeof(modes) / sizeof(modes[0]); i++)
        if (!strcmp(modes[i].name, s)) {
            *mode = modes[i].mode;
            return 0;
        }
    return -EINVAL;
}

void cmd_apply(struct daemon *d, struct client *c, json_t *req)
{
    enum apply_mode mode;
    const char *mode_text = json_string_value(json_object_get(req, "mode"));
    if (parse_mode(mode_text, &mode) < 0) {
        server_reply_error(c, "unknown apply mode '%s'", mode_text ? mode_text : "");
        return;
    }
    if (json_object_get(req, "targets")) {
        if (mode != MODE_RESTART && mode != MODE_RELOAD)
            server_reply_error(c, "apply with targets is for restart and reload only");
        else
            apply_targets(d, c, req, mode);
        return;
    }
    json_t *apps = json_object_get(req, "apps");
    if (!json_is_array(apps) || json_array_size(apps) == 0) {
        server_reply_error(c, "no app given");
        return;
    }
    if (json_array_size(apps) > APPLY_MAX_APPS) {
        server_reply_error(c, "too many apps in one request (at most %d)", APPLY_MAX_APPS);
        return;
    }
    if (mode == MODE_STOP || mode == MODE_DELETE)
        apply_stop_delete(d, c, req, mode == MODE_DELETE);
    else
        apply_configs(d, c, req, mode);
}
