/* cmd_daemon.c - commands about the daemon itself: kill (stop every app and
 * exit), update (exit leaving every app running, for a new daemon binary to
 * re-adopt), reloadLogs and flush. */
#include "base/log.h"
#include "base/timeutil.h"
#include "daemon/cmd/commands.h"
#include "daemon/cmd/targets.h"
#include "daemon/ops/ops.h"
#include "daemon/server.h"
#include "loop/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define EXIT_FLUSH_MAX_MS 3000

static void on_exit_timer(struct ev_loop *loop, void *data)
{
    struct daemon *d = data;
    /* the loop ends once every reply went out (or after a bound) */
    if (server_output_pending(d) && mono_ms() < d->exit_deadline) {
        if (ev_timer_add(loop, 10, on_exit_timer, d) > 0)
            return;
    }
    ev_loop_stop(loop);
}

/* Ends the loop once the replies already queued have been written. */
static void exit_soon(struct daemon *d)
{
    d->exit_deadline = mono_ms() + EXIT_FLUSH_MAX_MS;
    if (ev_timer_add(d->loop, 0, on_exit_timer, d) < 0)
        ev_loop_stop(d->loop);
}

static void kill_done(struct daemon *d, struct op *op)
{
    if (op_failed(op))
        log_warn("some supervisors did not exit in time");
    server_reply(op->client, json_pack("{s:b, s:i}", "killed", 1, "pid", (int)getpid()));
    exit_soon(d);
}

void cmd_kill(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    log_info("kill requested: stopping every app and exiting");
    d->shutting_down = 1;
    struct op *op = op_new(d, c, kill_done, NULL);
    if (!op) {
        server_reply_error_code(c, -ENOMEM, "out of memory");
        exit_soon(d);
        return;
    }
    for (size_t i = 0; i < d->reg.n_insts; i++)
        op_add(op, d->reg.insts[i], TASK_DELETE);
    op_run(op);
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

static void replies_done(struct daemon *d, struct op *op)
{
    (void)d;
    size_t failed = 0;
    for (size_t i = 0; i < op->n_tasks; i++)
        failed += op->tasks[i].result != TASK_OK;
    json_t *reply = json_deep_copy(op->extra);
    json_object_set_new(reply, "failed", json_integer((json_int_t)failed));
    server_reply(op->client, reply);
}

/* Sends cmd to the supervisors of insts and replies when all answered. */
static void fan_out(struct daemon *d, struct client *c, struct inst **insts, size_t n,
                    const char *cmd, const char *count_key)
{
    struct op *op = op_new(d, c, replies_done, NULL);
    if (!op) {
        server_reply_error_code(c, -ENOMEM, "out of memory");
        return;
    }
    size_t sent = 0;
    for (size_t i = 0; i < n; i++)
        if (insts[i]->link && op_add_request(op, insts[i], cmd) == 0)
            sent++;
    json_object_set_new(op->extra, count_key, json_integer((json_int_t)sent));
    op_run(op);
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
    if (!json_object_get(req, "targets")) {
        fan_out(d, c, d->reg.insts, d->reg.n_insts, "truncate_logs", "flushed");
        return;
    }
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    fan_out(d, c, insts, n, "truncate_logs", "flushed");
    free(insts);
}
