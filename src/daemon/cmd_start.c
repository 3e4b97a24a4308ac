/* cmd_start.c - "start": add apps (or start stopped instances of known
 * ones). Every app in the request is validated before anything starts. */
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/apply.h"
#include "daemon/commands.h"
#include "daemon/lifecycle.h"
#include "daemon/registry.h"
#include "daemon/replies.h"
#include "daemon/server.h"
#include "daemon/targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_APPS_PER_REQUEST 1024
#define START_GRACE_MS 10000

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

static int app_running_fully(const struct daemon *d, const struct app *app)
{
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        if (in->app == app && (!in->link || !in->want_running))
            return 0;
    }
    return 1;
}

/* "start" with targets: start the stopped instances of known apps. */
static void start_targets(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    char err[512];
    if (targets_resolve(d, req, &insts, &n, err, sizeof(err)) < 0) {
        server_reply_error(c, "%s", err);
        return;
    }
    int64_t t0 = wall_ms();
    json_t *warnings = json_array();
    for (size_t i = 0; i < n; i++) {
        if (insts[i]->link && insts[i]->want_running && strcmp(insts[i]->snap.status, "errored"))
            continue;
        if (lifecycle_start(d, insts[i], err, sizeof(err)) < 0)
            json_array_append_new(warnings, json_string(err));
    }
    daemon_persist(d);
    wait_and_reply(d, c, OP_WAIT_SETTLED, insts, n, t0,
                   targets_max_kill_timeout(insts, n) + CFG_DEFAULT_LISTEN_TIMEOUT_MS +
                       START_GRACE_MS,
                   json_pack("{s:o}", "warnings", warnings));
    free(insts);
}

void cmd_start(struct daemon *d, struct client *c, json_t *req)
{
    if (json_object_get(req, "targets")) {
        start_targets(d, c, req);
        return;
    }
    json_t *apps = json_object_get(req, "apps");
    json_t *base_env = json_object_get(req, "env");
    if (!json_is_array(apps) || json_array_size(apps) == 0) {
        server_reply_error(c, "nothing to start");
        return;
    }
    if (json_array_size(apps) > MAX_APPS_PER_REQUEST) {
        server_reply_error(c, "too many apps in one request (at most %d)", MAX_APPS_PER_REQUEST);
        return;
    }
    size_t n_apps = json_array_size(apps);
    json_t **norm = calloc(n_apps, sizeof(json_t *));
    json_t *warnings = json_array();
    char err[1024];
    size_t i;
    int ok = norm != NULL;

    /* 1. validate everything */
    for (i = 0; ok && i < n_apps; i++) {
        if (app_config_normalize(json_array_get(apps, i), &norm[i], warnings, err, sizeof(err)) <
            0) {
            server_reply_error(c, "%s", err);
            ok = 0;
            break;
        }
        if (!json_object_get(norm[i], "name")) {
            char *name = default_name(cfg_str(norm[i], "script", "app"));
            json_object_set_new(norm[i], "name", json_string(name ? name : "app"));
            free(name);
        }
        const char *name = cfg_str(norm[i], "name", "");
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(cfg_str(norm[j], "name", ""), name)) {
                server_reply_error(c, "app '%s' appears twice in the request", name);
                ok = 0;
                break;
            }
        }
        struct app *existing = registry_find_app(&d->reg, name);
        if (ok && existing && app_running_fully(d, existing)) {
            server_reply_error(c, "app '%s' is already running (use restart, or delete it first)",
                               name);
            ok = 0;
        }
        int count = apply_instance_count(norm[i]);
        if (ok && !existing && d->reg.n_insts + (size_t)count > CFG_HARD_MAX_INSTANCES * 4) {
            server_reply_error(c, "too many instances: the daemon's limit is %d",
                               CFG_HARD_MAX_INSTANCES * 4);
            ok = 0;
        }
    }

    /* 2. act */
    struct inst_list started = {0};
    int64_t t0 = wall_ms();
    for (i = 0; ok && i < n_apps; i++) {
        const char *name = cfg_str(norm[i], "name", "");
        struct app *app = registry_find_app(&d->reg, name);
        if (app) {
            /* PM2: starting a known app starts its stopped instances */
            for (size_t k = 0; k < d->reg.n_insts; k++) {
                struct inst *in = d->reg.insts[k];
                if (in->app != app || (in->link && in->want_running))
                    continue;
                if (lifecycle_start(d, in, err, sizeof(err)) == 0)
                    inst_list_push(&started, in);
            }
            continue;
        }
        if (!apply_create_app(d, name, norm[i], json_is_object(base_env) ? base_env : NULL,
                              apply_instance_count(norm[i]), NULL, &started, warnings, err,
                              sizeof(err))) {
            server_reply_error(c, "cannot start app '%s': %s", name, err);
            ok = 0;
        }
    }
    for (i = 0; norm && i < n_apps; i++)
        json_decref(norm[i]);
    free(norm);
    if (ok) {
        daemon_persist(d);
        wait_and_reply(d, c, OP_WAIT_SETTLED, started.items, started.n, t0,
                       apply_settle_timeout(started.items, started.n) + START_GRACE_MS,
                       json_pack("{s:O}", "warnings", warnings));
    }
    json_decref(warnings);
    inst_list_free(&started);
}
