/* cmd_apps.c - "start" and "apply": adding apps, and applying a list of app
 * configs (ecosystem files) PM2's way. One path, one validation:
 *
 *   {"cmd": "start", "apps": [...], "env": {...}}
 *   {"cmd": "start", "targets": [...]}
 *   {"cmd": "apply", "mode": M, "apps": [...], "env": {...}, "update_env": B}
 *   {"cmd": "apply", "mode": "restart"|"reload", "targets": [...], "env": {...}}
 *
 * Apps the daemon does not know are created and started. Known apps depend
 * on the verb, as in PM2: `start` of a script refuses an app that runs
 * fully and starts the stopped instances of one that does not; `apply`
 * (start/restart/startOrRestart of a file) takes the file's configuration
 * and restarts each instance (a changed config moves it to a new supervisor:
 * stop, then a new one on the new config); the reload modes reload instead,
 * without downtime, the instances of apps whose sockets the daemon holds.
 * The configuration is declarative: the file's replaces the stored one, so
 * a variable removed from the file's env is gone after the restart. With
 * update_env the base environment (the shell's variables) is replaced by
 * the request's too; without it, the one captured at the first start is
 * kept. Every app is validated before anything is touched. Modes stop and
 * delete act on the named apps; names the daemon does not know are
 * warnings. */
#include "base/cpus.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/cmd/apps.h"
#include "daemon/cmd/commands.h"
#include "daemon/cmd/replies.h"
#include "daemon/cmd/targets.h"
#include "daemon/instances/inst_spec.h"
#include "daemon/instances/lifecycle.h"
#include "daemon/instances/listeners.h"
#include "daemon/server.h"
#include "daemon/state/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_APPS_PER_REQUEST 1024
#define MAX_INSTANCES_TOTAL (CFG_HARD_MAX_INSTANCES * 4)

/* What happens to an app that exists already. */
enum existing {
    EXISTING_REFUSE_RUNNING, /* start <script>: an error when it runs fully */
    EXISTING_RESTART,        /* apply start, restart, startOrRestart */
    EXISTING_RELOAD,         /* apply reload, startOrReload */
};

int apps_instance_count(const struct app_config *cfg)
{
    if (cfg->instances > 0)
        return (int)cfg->instances;
    /* 0 or max: the usable CPUs; -N: N fewer, at least one (PM2) */
    int64_t n = cpus_usable() + cfg->instances;
    return n > 0 ? (int)n : 1;
}

int apps_slot_taken(const struct daemon *d, const struct app *app, int slot)
{
    for (size_t i = 0; i < d->reg.n_insts; i++)
        if (d->reg.insts[i]->app == app && d->reg.insts[i]->slot == slot)
            return 1;
    return 0;
}

int apps_add_instances(struct daemon *d, struct app *app, int add, struct op *op, char *err,
                       size_t errlen)
{
    int64_t total = (int64_t)app->n_insts + add;
    const char *why;
    int64_t cap = app_config_instance_cap(&app->cfg, &why);
    if (total > cap) {
        snprintf(err, errlen, "cannot run %lld instances of %s (%s allows %lld)", (long long)total,
                 app->name, why, (long long)cap);
        return -ERANGE;
    }
    if (listeners_prebind(d, app, (int)total, err, errlen) < 0)
        return -EADDRINUSE;
    /* the count is part of the config: state.json, describe and apply see it */
    json_t *config = json_deep_copy(app->cfg.json);
    if (!config) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    json_object_set_new(config, "instances", json_integer(total));
    if (!json_object_get(config, "exec_mode")) /* a count alone would mean cluster */
        json_object_set_new(config, "exec_mode",
                            json_string(app->cfg.exec_mode == EXEC_CLUSTER ? "cluster" : "fork"));
    registry_set_app_config(&d->reg, app, config);
    for (int slot = 0; add > 0 && slot < CFG_HARD_MAX_INSTANCES; slot++) {
        if (apps_slot_taken(d, app, slot))
            continue;
        struct inst *in = lifecycle_create_inst(d, app, slot, 1, err, errlen);
        if (!in)
            return -ENOMEM;
        if (op)
            op_add(op, in, TASK_SETTLE);
        add--;
    }
    return 0;
}

static void warn(json_t *warnings, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void warn(json_t *warnings, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_array_append_new(warnings, json_string(msg));
}

/* The name of an app that has none: its script's file name without the
 * extension. */
static char *default_name(const char *script)
{
    const char *base = strrchr(script, '/');
    base = base ? base + 1 : script;
    char *name = strdup(base);
    if (!name)
        return NULL;
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
    return name;
}

static int runs_fully(const struct daemon *d, const struct app *app)
{
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        if (in->app == app && (!in->link || !in->want_running))
            return 0;
    }
    return 1;
}

/* Validates every app of the request into norm[] (new references): one
 * validation for start and apply. */
static int validate(struct daemon *d, json_t *apps, enum existing existing, int force,
                    json_t **norm, json_t *warnings, char *err, size_t errlen)
{
    size_t n = json_array_size(apps), new_insts = 0;
    for (size_t i = 0; i < n; i++) {
        if (app_config_normalize(json_array_get(apps, i), &norm[i], warnings, err, errlen) < 0)
            return -EINVAL;
        if (!json_object_get(norm[i], "name")) {
            char *name = default_name(json_string_value(json_object_get(norm[i], "script")));
            json_object_set_new(norm[i], "name", json_string(name ? name : "app"));
            free(name);
        }
        struct app_config cfg;
        app_config_load(&cfg, norm[i]);
        const char *name = cfg.name;
        int r = 0;
        for (size_t j = 0; j < i && r == 0; j++)
            if (!strcmp(json_string_value(json_object_get(norm[j], "name")), name)) {
                snprintf(err, errlen, "app '%s' appears twice in the request", name);
                r = -EINVAL;
            }
        struct app *app = registry_find_app(&d->reg, name);
        if (r == 0 && !app)
            r = registry_check_new_app(&d->reg, name, cfg.namespace, err, errlen);
        int again = app && existing == EXISTING_REFUSE_RUNNING && runs_fully(d, app);
        if (r == 0 && again && !force) {
            snprintf(err, errlen,
                     "app '%s' is already running (add -f to start more of it, or use restart)",
                     name);
            r = -EEXIST;
        }
        if (r == 0 && (!app || again))
            new_insts += (size_t)apps_instance_count(&cfg);
        app_config_free(&cfg);
        if (r < 0)
            return r;
    }
    if (d->reg.n_insts + new_insts > MAX_INSTANCES_TOTAL) {
        snprintf(err, errlen, "too many instances: the daemon's limit is %d", MAX_INSTANCES_TOTAL);
        return -E2BIG;
    }
    return 0;
}

struct app *apps_create(struct daemon *d, const char *name, json_t *config, json_t *base_env,
                        const int *start, struct op *op, json_t *warnings, char *err, size_t errlen)
{
    struct app *app = registry_add_app(&d->reg, name, json_incref(config), wall_ms());
    if (!app) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    app->base_env = json_is_object(base_env) ? json_incref(base_env) : NULL;
    int count = apps_instance_count(&app->cfg);
    if (listeners_prebind(d, app, count, err, errlen) < 0) {
        registry_remove_app(&d->reg, app);
        return NULL;
    }
    for (int s = 0; s < count; s++) {
        struct inst *in =
            lifecycle_create_inst(d, app, s, start ? start[s] : app->cfg.autostart, err, errlen);
        if (!in)
            warn(warnings, "%s", err);
        else if (op)
            op_add(op, in, TASK_SETTLE);
    }
    if (app->n_insts == 0) {
        registry_remove_app(&d->reg, app);
        return NULL;
    }
    listeners_release_idle(d, app); /* all created stopped: no socket held */
    return app;
}

/* Stores the new config (and base env) of a known app. Returns 1 when
 * anything the supervisors run from changed. */
static int reconfigure(struct daemon *d, struct app *app, json_t *config, json_t *env,
                       int update_env, json_t *warnings)
{
    int changed = 0;
    if (!json_equal(app->cfg.json, config)) {
        registry_set_app_config(&d->reg, app, json_incref(config));
        changed = 1;
    }
    if (update_env && json_is_object(env) && !(app->base_env && json_equal(app->base_env, env))) {
        json_decref(app->base_env);
        app->base_env = json_incref(env);
        changed = 1;
    }
    if (changed) {
        char err[512];
        for (size_t i = 0; i < d->reg.n_insts; i++)
            if (d->reg.insts[i]->app == app)
                inst_resolve_log_paths(d, d->reg.insts[i]);
        if (listeners_prebind(d, app, (int)app->n_insts, err, sizeof(err)) < 0)
            warn(warnings, "%s", err);
        listeners_release_idle(d, app); /* a stopped app holds none */
    }
    int want = apps_instance_count(&app->cfg);
    if ((size_t)want != app->n_insts)
        warn(warnings,
             "app '%s' runs %zu instance(s), its configuration asks for %d: use drover scale %s %d",
             app->name, app->n_insts, want, app->name, want);
    return changed;
}

static int is_running(const struct inst *in)
{
    return in->link && in->want_running && !status_is_at_rest(inst_status(in));
}

/* The task that applies the file to one instance of a known app. */
static enum task_kind task_for(const struct inst *in, enum existing existing, int changed)
{
    int running = is_running(in);
    if (existing == EXISTING_REFUSE_RUNNING)
        return TASK_START;
    if (existing == EXISTING_RELOAD && running && listeners_any(in->app))
        return TASK_RELOAD; /* the replacement starts on the new config */
    if (changed)
        return TASK_SWAP; /* its supervisor runs the old spec */
    return running ? TASK_RESTART : TASK_START;
}

static void apply_apps(struct daemon *d, struct client *c, json_t *req, enum existing existing)
{
    json_t *apps = json_object_get(req, "apps");
    json_t *env = json_object_get(req, "env");
    int update_env = json_is_true(json_object_get(req, "update_env"));
    int force = json_is_true(json_object_get(req, "force"));
    size_t n = json_array_size(apps);
    if (!json_is_array(apps) || n == 0) {
        server_reply_error(c, "nothing to start");
        return;
    }
    if (n > MAX_APPS_PER_REQUEST) {
        server_reply_error_code(c, -E2BIG, "too many apps in one request (at most %d)",
                                MAX_APPS_PER_REQUEST);
        return;
    }
    json_t **norm = calloc(n, sizeof(*norm));
    json_t *warnings = json_array();
    char err[1024];
    struct op *op = norm ? reply_op_new(d, c) : NULL;
    if (!op) {
        if (!norm)
            server_reply_error_code(c, -ENOMEM, "out of memory");
        free(norm);
        json_decref(warnings);
        return;
    }
    int r = validate(d, apps, existing, force, norm, warnings, err, sizeof(err));
    if (r < 0) {
        server_reply_error_code(c, r, "%s", err);
        op_discard(op);
    } else {
        op->parallel = 1; /* reloads roll, one instance at a time */
        for (size_t i = 0; i < n; i++) {
            const char *name = json_string_value(json_object_get(norm[i], "name"));
            struct app *app = registry_find_app(&d->reg, name);
            if (!app) {
                if (!apps_create(d, name, norm[i], env, NULL, op, warnings, err, sizeof(err)))
                    warn(warnings, "cannot start app '%s': %s", name, err);
                continue;
            }
            if (existing == EXISTING_REFUSE_RUNNING && force && runs_fully(d, app)) {
                /* start -f of what runs: more of it (PM2 starts a copy) */
                struct app_config cfg;
                app_config_load(&cfg, norm[i]);
                int add = apps_instance_count(&cfg);
                app_config_free(&cfg);
                if (apps_add_instances(d, app, add, op, err, sizeof(err)) < 0)
                    warn(warnings, "cannot start more of app '%s': %s", name, err);
                continue;
            }
            int changed = existing != EXISTING_REFUSE_RUNNING &&
                          reconfigure(d, app, norm[i], env, update_env, warnings);
            for (size_t k = 0; k < d->reg.n_insts; k++) {
                struct inst *in = d->reg.insts[k];
                if (in->app != app || (existing == EXISTING_REFUSE_RUNNING && is_running(in)))
                    continue;
                op_add(op, in, task_for(in, existing, changed));
            }
        }
        json_object_set(op->extra, "warnings", warnings);
        daemon_persist(d);
        op_run(op);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(norm[i]);
    free(norm);
    json_decref(warnings);
}

/* "start" with targets (names, ids... of known apps): PM2 starts what does
 * not run and restarts what does. */
static void start_targets(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    struct op *op = reply_op_new(d, c);
    for (size_t i = 0; op && i < n; i++)
        op_add(op, insts[i],
               is_running(insts[i]) && inst_status(insts[i]) != STATUS_ERRORED ? TASK_RESTART
                                                                               : TASK_START);
    free(insts);
    if (op) {
        daemon_persist(d);
        op_run(op);
    }
}

void cmd_start(struct daemon *d, struct client *c, json_t *req)
{
    if (json_object_get(req, "targets"))
        start_targets(d, c, req);
    else
        apply_apps(d, c, req, EXISTING_REFUSE_RUNNING);
}

/* The new config of one app of restart|reload <targets> with options: the
 * stored one with the options on top, validated like a start. */
static json_t *config_with(struct app *app, json_t *overrides, json_t *warnings, char *err,
                           size_t errlen)
{
    json_t *merged = json_deep_copy(app->cfg.json), *norm = NULL;
    if (!merged) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    json_t *env = json_object_get(overrides, "env");
    json_object_update(merged, overrides);
    if (json_is_object(env)) { /* variables are added to the app's */
        json_t *old = json_object_get(app->cfg.json, "env");
        json_t *both = json_is_object(old) ? json_deep_copy(old) : json_object();
        json_object_update(both, env);
        json_object_set_new(merged, "env", both);
    }
    json_object_set_new(merged, "name", json_string(app->name));
    if (app_config_normalize(merged, &norm, warnings, err, errlen) < 0)
        norm = NULL;
    json_decref(merged);
    return norm;
}

/* restart|reload <targets> [options] [--update-env]: the stored configs
 * with the request's options on top (PM2: --node-args, --cron-restart,
 * --watch..., --name renames the one app targeted), and with update_env
 * the request's environment as the new base environment. Everything is
 * validated before anything is touched; a changed app moves to fresh
 * supervisors (their spec predates the change). */
static void apply_targets(struct daemon *d, struct client *c, json_t *req, int reload)
{
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    json_t *overrides = json_object_get(req, "overrides");
    json_t *env = json_object_get(req, "env");
    int update_env = json_is_true(json_object_get(req, "update_env"));
    const char *rename = json_string_value(json_object_get(overrides, "name"));
    json_t *options = json_is_object(overrides) ? json_deep_copy(overrides) : json_object();
    json_object_del(options, "name");
    json_t *warnings = json_array();
    char err[1024];
    int r = 0;
    /* the distinct apps, in order, with their new configs */
    struct app **apps = calloc(n ? n : 1, sizeof(*apps));
    json_t **configs = calloc(n ? n : 1, sizeof(*configs));
    size_t n_apps = 0;
    uint64_t epoch = ++d->reg.mark_epoch;
    if (!apps || !configs) {
        snprintf(err, sizeof(err), "out of memory");
        r = -ENOMEM;
    }
    for (size_t i = 0; r == 0 && i < n; i++) {
        struct app *app = insts[i]->app;
        if (app->mark == epoch)
            continue;
        app->mark = epoch;
        apps[n_apps] = app;
        configs[n_apps] = json_object_size(options)
                              ? config_with(app, options, warnings, err, sizeof(err))
                              : json_incref(app->cfg.json);
        if (!configs[n_apps++])
            r = -EINVAL;
    }
    if (r == 0 && rename && strcmp(rename, apps[0]->name)) {
        if (n_apps != 1) {
            snprintf(err, sizeof(err), "--name renames one app, and the targets are %zu apps",
                     n_apps);
            r = -EINVAL;
        } else {
            r = registry_check_new_app(&d->reg, rename, apps[0]->cfg.namespace, err, sizeof(err));
        }
    }
    struct op *op = r == 0 ? reply_op_new(d, c) : NULL;
    if (r < 0)
        server_reply_error_code(c, r, "%s", err);
    if (op && rename && strcmp(rename, apps[0]->name)) {
        json_t *renamed = json_deep_copy(configs[0]);
        json_object_set_new(renamed, "name", json_string(rename));
        json_decref(configs[0]);
        configs[0] = renamed;
        if (registry_rename_app(&d->reg, apps[0], rename) < 0)
            warn(warnings, "cannot rename %s: out of memory", apps[0]->name);
    }
    for (size_t k = 0; op && k < n_apps; k++) {
        int changed = reconfigure(d, apps[k], configs[k], env, update_env, warnings);
        for (size_t i = 0; i < n; i++)
            if (insts[i]->app == apps[k])
                op_add(op, insts[i],
                       task_for(insts[i], reload ? EXISTING_RELOAD : EXISTING_RESTART, changed));
    }
    for (size_t k = 0; configs && k < n_apps; k++)
        json_decref(configs[k]);
    free(configs);
    free(apps);
    free(insts);
    json_decref(options);
    if (op) {
        json_object_set(op->extra, "warnings", warnings);
        op->parallel = 1;
        daemon_persist(d);
        op_run(op);
    }
    json_decref(warnings);
}

/* stop/delete of the file's apps: unknown names are warnings. */
static void apply_stop_delete(struct daemon *d, struct client *c, json_t *req, int del)
{
    json_t *apps = json_object_get(req, "apps");
    struct op *op = reply_op_new(d, c);
    if (!op)
        return;
    json_t *warnings = json_array();
    size_t i, known = 0;
    json_t *a;
    json_array_foreach(apps, i, a)
    {
        const char *name = json_string_value(json_object_get(a, "name"));
        struct app *app = name ? registry_find_app(&d->reg, name) : NULL;
        if (!app) {
            warn(warnings, "app '%s' not found", name ? name : "?");
            continue;
        }
        known++;
        for (size_t k = 0; k < d->reg.n_insts; k++)
            if (d->reg.insts[k]->app == app)
                op_add(op, d->reg.insts[k], del ? TASK_DELETE : TASK_STOP);
    }
    if (known == 0) {
        server_reply_error_code(c, -ENOENT,
                                "none of the file's apps is known (%zu app(s) in the file)",
                                json_array_size(apps));
        json_decref(warnings);
        op_discard(op);
        return;
    }
    json_object_set_new(op->extra, "warnings", warnings);
    daemon_persist(d);
    op_run(op);
}

void cmd_apply(struct daemon *d, struct client *c, json_t *req)
{
    static const struct {
        const char *name;
        int existing; /* -1: stop, -2: delete */
    } modes[] = {
        {"start", EXISTING_RESTART},
        {"restart", EXISTING_RESTART},
        {"startOrRestart", EXISTING_RESTART},
        {"reload", EXISTING_RELOAD},
        {"startOrReload", EXISTING_RELOAD},
        {"stop", -1},
        {"delete", -2},
    };
    const char *mode = json_string_value(json_object_get(req, "mode"));
    int existing = -3;
    for (size_t i = 0; mode && i < sizeof(modes) / sizeof(modes[0]); i++)
        if (!strcmp(modes[i].name, mode))
            existing = modes[i].existing;
    if (existing == -3) {
        server_reply_error(c, "unknown apply mode '%s'", mode ? mode : "");
        return;
    }
    if (json_object_get(req, "targets")) {
        if (strcmp(mode, "restart") && strcmp(mode, "reload"))
            server_reply_error(c, "apply with targets is for restart and reload only");
        else
            apply_targets(d, c, req, !strcmp(mode, "reload"));
        return;
    }
    if (existing < 0) {
        apply_stop_delete(d, c, req, existing == -2);
        return;
    }
    apply_apps(d, c, req, (enum existing)existing);
}
