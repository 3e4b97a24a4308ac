/* cmd_control.c - commands on existing instances: stop, restart, delete,
 * reset, signal. Targets are resolved first; an unknown target fails the
 * whole command before anything is touched. */
#include "base/parse.h"
#include "daemon/cmd/commands.h"
#include "daemon/cmd/replies.h"
#include "daemon/cmd/targets.h"
#include "daemon/instances/suplink.h"
#include "daemon/server.h"
#include "daemon/state/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An op with one task of kind per target, run; replies when done. */
static void act_on_targets(struct daemon *d, struct client *c, json_t *req, enum task_kind kind)
{
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    struct op *op = reply_op_new(d, c);
    for (size_t i = 0; op && i < n; i++) {
        if (op_add(op, insts[i], kind) < 0) {
            op_discard(op);
            op = NULL;
            server_reply_error_code(c, -ENOMEM, "out of memory");
        }
    }
    free(insts);
    if (op) {
        daemon_persist(d);
        op_run(op);
    }
}

/* PM2: stopping an app turns its watch off (a later start keeps it off;
 * restart --watch turns it on again). */
static void watch_off(struct daemon *d, json_t *req)
{
    struct inst **insts;
    size_t n;
    char err[256];
    if (targets_resolve(d, req, &insts, &n, err, sizeof(err)) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct app *app = insts[i]->app;
        json_t *w = app->cfg.watch;
        if (!w || json_is_false(w))
            continue;
        json_t *config = json_deep_copy(app->cfg.json);
        if (!config)
            break;
        json_object_set_new(config, "watch", json_false());
        registry_set_app_config(&d->reg, app, config);
    }
    free(insts);
}

void cmd_stop(struct daemon *d, struct client *c, json_t *req)
{
    watch_off(d, req);
    act_on_targets(d, c, req, TASK_STOP);
}

void cmd_restart(struct daemon *d, struct client *c, json_t *req)
{
    act_on_targets(d, c, req, TASK_RESTART);
}

void cmd_delete(struct daemon *d, struct client *c, json_t *req)
{
    act_on_targets(d, c, req, TASK_DELETE);
}

void cmd_reset(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    json_t *targets = json_object_get(req, "targets");
    if (d->reg.n_insts == 0 && json_array_size(targets) == 1 &&
        !strcmp(json_string_value(json_array_get(targets, 0)) ?: "", "all")) {
        reply_processes_now(d, c, NULL); /* PM2: nothing to reset is fine */
        return;
    }
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (insts[i]->link) {
            suplink_request(insts[i]->link, "reset", NULL, NULL, NULL, NULL);
        } else {
            /* no supervisor to count: the daemon's record is the count */
            insts[i]->snap.restarts = 0;
            insts[i]->snap.unstable_restarts = 0;
        }
    }
    daemon_persist(d);
    free(insts);
    reply_processes_now(d, c, NULL);
}

void cmd_signal(struct daemon *d, struct client *c, json_t *req)
{
    const char *sig_text = json_string_value(json_object_get(req, "signal"));
    int sig;
    if (!sig_text || parse_signal(sig_text, &sig) < 0 || !signal_name(sig)) {
        server_reply_error(c, "unknown signal '%s'", sig_text ? sig_text : "");
        return;
    }
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    char num[16];
    snprintf(num, sizeof(num), "%d", sig);
    json_t *sent = json_array();
    json_t *errors = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!insts[i]->link || insts[i]->snap.pid <= 0) {
            char msg[256];
            snprintf(msg, sizeof(msg), "%s (id %lld) is not running", insts[i]->app->name,
                     (long long)insts[i]->id);
            json_array_append_new(errors, json_string(msg));
            continue;
        }
        suplink_request(insts[i]->link, "signal", "sig", num, NULL, NULL);
        json_array_append_new(sent, json_integer(insts[i]->id));
    }
    free(insts);
    json_t *reply =
        json_pack("{s:o, s:s, s:o}", "sent", sent, "signal", signal_name(sig), "errors", errors);
    if (json_array_size(errors) > 0 && json_array_size(sent) == 0) {
        json_object_set_new(reply, "ok", json_false());
        json_object_set_new(reply, "code", json_string("ESRCH"));
        json_object_set(reply, "error", json_array_get(errors, 0));
    }
    server_reply(c, reply);
}
