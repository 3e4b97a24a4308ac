/* cmd_daemon.c - commands about the daemon itself: kill (stop every app and
 * exit), update (exit leaving every app running, for a new daemon binary to
 * re-adopt), reloadLogs and flush. */
#include "base/log.h"
#include "base/timeutil.h"
#include "daemon/commands.h"
#include "daemon/lifecycle.h"
#include "daemon/ops.h"
#include "daemon/registry.h"
#include "daemon/server.h"
#include "daemon/suplink.h"
#include "daemon/targets.h"
#include "loop/loop.h"

#include <stdlib.h>
#include <unistd.h>

#define KILL_GRACE_MS 5000

#define EXIT_FLUSH_MAX_MS 3000

static int64_t exit_deadline;

static void on_exit_timer(struct ev_loop *loop, void *data)
{
    struct daemon *d = data;
    /* the loop ends once every reply went out (or after a bound) */
    if (server_output_pending(d) && mono_ms() < exit_deadline) {
        ev_timer_add(loop, 10, on_exit_timer, d);
        return;
    }
    ev_loop_stop(loop);
}

/* Ends the loop once the replies already queued have been written. */
static void exit_soon(struct daemon *d)
{
    exit_deadline = mono_ms() + EXIT_FLUSH_MAX_MS;
    ev_timer_add(d->loop, 0, on_exit_timer, d);
}

static void kill_done(struct daemon *d, struct op *op, int timed_out)
{
    if (timed_out)
        log_warn("some supervisors did not exit in time");
    server_reply(op->client, json_pack("{s:b, s:i}", "killed", 1, "pid", (int)getpid()));
    exit_soon(d);
}

void cmd_kill(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    log_info("kill requested: stopping every app and exiting");
    d->shutting_down = 1;
    int64_t timeout = targets_max_kill_timeout(d->reg.insts, d->reg.n_insts) + KILL_GRACE_MS;
    struct op *op = op_new(d, c, OP_WAIT_GONE, d->reg.insts, d->reg.n_insts, wall_ms(), timeout,
                           kill_done, NULL);
    /* delete from a copy: removal edits the registry's array */
    size_t n = d->reg.n_insts;
    struct inst **copy = malloc((n ? n : 1) * sizeof(*copy));
    if (copy) {
        for (size_t i = 0; i < n; i++)
            copy[i] = d->reg.insts[i];
        for (size_t i = 0; i < n; i++)
            lifecycle_delete(d, copy[i]);
        free(copy);
    }
    if (op)
        op_arm(d, op);
    else {
        server_reply_error(c, "out of memory");
        exit_soon(d);
    }
}

void cmd_update(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    log_info("update requested: exiting, apps keep running for the next daemon");
    d->shutting_down = 1;
    d->keep_apps_on_exit = 1;
    server_reply(c, json_pack("{s:i}", "pid", (int)getpid()));
    exit_soon(d);
}

static void replies_done(struct daemon *d, struct op *op, int timed_out)
{
    (void)d;
    json_t *reply = json_deep_copy(op->extra);
    json_object_set_new(reply, "failed", json_integer(op->failed_replies + op->pending_replies));
    if (timed_out)
        json_object_set_new(reply, "timed_out", json_true());
    server_reply(op->client, reply);
}

/* Sends cmd to the supervisors of insts and replies when all answered. */
static void fan_out(struct daemon *d, struct client *c, struct inst **insts, size_t n,
                    const char *cmd, const char *count_key)
{
    struct op *op = op_new(d, c, OP_WAIT_REPLIES, NULL, 0, wall_ms(), 10000, replies_done, NULL);
    if (!op) {
        server_reply_error(c, "out of memory");
        return;
    }
    int sent = 0;
    for (size_t i = 0; i < n; i++)
        if (op_request(d, op, insts[i], cmd, NULL, NULL) == 0)
            sent++;
    json_object_set_new(op->extra, count_key, json_integer(sent));
    op_arm(d, op);
}

void cmd_reload_logs(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    fan_out(d, c, d->reg.insts, d->reg.n_insts, "reopen_logs", "reopened");
}

void cmd_flush(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts = NULL;
    size_t n = 0;
    char err[512];
    if (json_object_get(req, "targets")) {
        if (targets_resolve(d, req, &insts, &n, err, sizeof(err)) < 0) {
            server_reply_error(c, "%s", err);
            return;
        }
        fan_out(d, c, insts, n, "truncate_logs", "flushed");
        free(insts);
        return;
    }
    fan_out(d, c, d->reg.insts, d->reg.n_insts, "truncate_logs", "flushed");
}
