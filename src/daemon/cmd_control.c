/* cmd_control.c - commands on existing instances: stop, restart, delete,
 * reset, signal. Targets are resolved first; an unknown target fails the
 * whole command before anything is touched. */
#include "base/parse.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/commands.h"
#include "daemon/lifecycle.h"
#include "daemon/replies.h"
#include "daemon/server.h"
#include "daemon/suplink.h"
#include "daemon/targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOP_GRACE_MS 5000

static int resolve_or_reply(struct daemon *d, struct client *c, json_t *req, struct inst ***insts,
                            size_t *n)
{
    char err[512];
    if (targets_resolve(d, req, insts, n, err, sizeof(err)) < 0) {
        server_reply_error(c, "%s", err);
        return -1;
    }
    return 0;
}

void cmd_stop(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    if (resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    int64_t t0 = wall_ms();
    for (size_t i = 0; i < n; i++)
        lifecycle_stop(d, insts[i]);
    daemon_persist(d);
    wait_and_reply(d, c, OP_WAIT_STOPPED, insts, n, t0,
                   targets_max_kill_timeout(insts, n) + STOP_GRACE_MS, NULL);
    free(insts);
}

void cmd_restart(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    if (resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    int64_t t0 = wall_ms();
    json_t *warnings = json_array();
    for (size_t i = 0; i < n; i++) {
        char err[256];
        if (lifecycle_restart(d, insts[i], err, sizeof(err)) < 0)
            json_array_append_new(warnings, json_string(err));
    }
    daemon_persist(d);
    int64_t timeout = targets_max_kill_timeout(insts, n) + CFG_DEFAULT_LISTEN_TIMEOUT_MS * 2;
    wait_and_reply(d, c, OP_WAIT_SETTLED, insts, n, t0, timeout + STOP_GRACE_MS,
                   json_pack("{s:o}", "warnings", warnings));
    free(insts);
}

void cmd_delete(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    if (resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    int64_t t0 = wall_ms();
    int64_t timeout = targets_max_kill_timeout(insts, n) + STOP_GRACE_MS;
    /* ops hold ids, so instances removed at once are simply "gone" */
    struct op *op =
        op_new(d, c, OP_WAIT_GONE, insts, n, t0, timeout, reply_processes_when_done, NULL);
    for (size_t i = 0; i < n; i++)
        lifecycle_delete(d, insts[i]);
    free(insts);
    if (op)
        op_arm(d, op);
    else
        server_reply_error(c, "out of memory");
}

void cmd_reset(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    if (resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        insts[i]->snap.restarts = 0;
        insts[i]->snap.unstable_restarts = 0;
        if (insts[i]->link)
            suplink_request(insts[i]->link, "reset", NULL, NULL, NULL, NULL);
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
    if (resolve_or_reply(d, c, req, &insts, &n) < 0)
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
        json_object_set_new(reply, "error",
                            json_string(json_string_value(json_array_get(errors, 0))));
    }
    server_reply(c, reply);
}
