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
    int cpus = cpus_usable();
    return cfg->instances == 0 ? cpus : (cpus > 1 ? cpus - 1 : 1);
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
static int validate(struct daemon *d, json_t *apps, enum existing existing, json_t **norm,
                    json_t *warnings, char *err, size_t errlen)
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
        if (r == 0 && app && existing == EXISTING_REFUSE_RUNNING && runs_fully(d, app)) {
            snprintf(err, errlen, "app '%s' is already running (use restart, or delete it first)",
                     name);
            r = -EEXIST;
        }
        if (r == 0 && !app)
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
    if (listeners_prebind(app, count, err, errlen) < 0) {
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
        if (listeners_prebind(app, (int)app->n_insts, err, sizeof(err)) < 0)
            warn(warnings, "%s", err);
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
    int r = validate(d, apps, existing, norm, warnings, err, sizeof(err));
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

/* "start" with targets: start the instances of known apps that do not run. */
static void start_targets(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    struct op *op = reply_op_new(d, c);
    for (size_t i = 0; op && i < n; i++)
        if (!is_running(insts[i]) || inst_status(insts[i]) == STATUS_ERRORED)
            op_add(op, insts[i], TASK_START);
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

/* restart|reload <targets> --update-env: the stored configs, the new base
 * environment; every target moves to a fresh supervisor (its spec predates
 * the environment). */
static void apply_targets(struct daemon *d, struct client *c, json_t *req, int reload)
{
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    struct op *op = reply_op_new(d, c);
    json_t *env = json_object_get(req, "env");
    for (size_t i = 0; op && i < n; i++) {
        struct app *app = insts[i]->app;
        if (json_is_object(env) && !(app->base_env && json_equal(app->base_env, env))) {
            json_decref(app->base_env);
            app->base_env = json_incref(env);
        }
        op_add(op, insts[i], task_for(insts[i], reload ? EXISTING_RELOAD : EXISTING_RESTART, 1));
    }
    free(insts);
    if (op) {
        op->parallel = 1;
        daemon_persist(d);
        op_run(op);
    }
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
