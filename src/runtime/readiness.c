/* readiness.c - live and ready from the daemon's process list. */
#include "runtime/readiness.h"
#include "proto/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one app's instances add up to. */
struct app_tally {
    const char *name;
    size_t n, errored, stopped, usable, serving;
    int expects_serving;
};

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The app's config says it serves: listen addresses, a port, or PORT. */
static int config_serves(json_t *config)
{
    json_t *env = json_object_get(config, "env");
    return json_array_size(json_object_get(config, "listen")) > 0 ||
           json_object_get(config, "port") || json_object_get(env, "PORT");
}

static void tally_add(struct app_tally *t, json_t *p)
{
    int status = status_from_name(str(p, "status"));
    int serving = json_is_true(json_object_get(p, "serving"));
    t->n++;
    t->errored += status == STATUS_ERRORED;
    t->stopped += status == STATUS_STOPPED;
    t->serving += serving;
    if (status == STATUS_ONLINE && json_is_true(json_object_get(p, "ready")))
        t->usable += 1;
    /* cluster workers are online before they listen: wait for serving */
    if (!strcmp(str(p, "mode"), "cluster") && config_serves(json_object_get(p, "config")))
        t->expects_serving = 1;
}

/* 0 when the app passes kind, else 1; the reason says why. named: the
 * caller asked for this app (a stopped app then fails readiness). */
static int judge(const struct app_tally *t, enum probe_kind kind, int named,
                 readiness_draining_fn is_draining, void *ctx, char *reason, size_t len)
{
    if (t->errored == t->n) {
        snprintf(reason, len, "%s: every instance errored", t->name);
        return 1;
    }
    if (kind == PROBE_LIVE)
        return 0;
    if (is_draining && is_draining(t->name, ctx)) {
        snprintf(reason, len, "%s is draining", t->name);
        return 1;
    }
    if (t->stopped == t->n) {
        if (!named)
            return 0;
        snprintf(reason, len, "%s is stopped", t->name);
        return 1;
    }
    size_t good = (t->expects_serving || t->serving) ? t->serving : t->usable;
    if (good == 0) {
        snprintf(reason, len, "%s: no instance %s yet", t->name,
                 (t->expects_serving || t->serving) ? "serving" : "online");
        return 1;
    }
    return 0;
}

int readiness_eval(json_t *processes, const char *app, enum probe_kind kind,
                   readiness_draining_fn is_draining, void *ctx, char *reason, size_t len)
{
    size_t n = json_array_size(processes), n_apps = 0, i;
    json_t *p;
    reason[0] = '\0';
    struct app_tally *tallies = calloc(n ? n : 1, sizeof(*tallies));
    if (!tallies)
        return -ENOMEM;
    json_array_foreach(processes, i, p)
    {
        const char *name = str(p, "name");
        if (app && strcmp(name, app))
            continue;
        size_t k = 0;
        while (k < n_apps && strcmp(tallies[k].name, name))
            k++;
        if (k == n_apps)
            tallies[n_apps++] = (struct app_tally){.name = name};
        tally_add(&tallies[k], p);
    }
    int r = 0;
    for (size_t k = 0; k < n_apps && r == 0; k++)
        r = judge(&tallies[k], kind, app != NULL, is_draining, ctx, reason, len);
    free(tallies);
    if (r)
        return r;
    if (app && n_apps == 0)
        return -ENOENT;
    if (n_apps == 0 && kind == PROBE_READY) {
        snprintf(reason, len, "no app");
        return 1;
    }
    snprintf(reason, len, "%s", kind == PROBE_LIVE ? "live" : "ready");
    return 0;
}
