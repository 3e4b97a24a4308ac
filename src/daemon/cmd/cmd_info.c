/* cmd_info.c - read-only commands: ping, list, describe. */
#include "base/timeutil.h"
#include "daemon/cmd/commands.h"
#include "daemon/cmd/targets.h"
#include "daemon/ops/ops.h"
#include "daemon/server.h"
#include "daemon/state/describe.h"
#include "daemon/state/registry.h"
#include "daemon/state/stats.h"
#include "proto/ls_rows.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cmd_ping(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    server_reply(c, json_pack("{s:b, s:i, s:s, s:I, s:s}", "pong", 1, "pid", (int)getpid(),
                              "version", DROVER_VERSION, "uptime_ms",
                              (json_int_t)(wall_ms() - d->started_at), "home", d->paths.home));
}

/* `ls`: the table's rows as text (proto/ls_rows.h). 0 when the CLI asked
 * for a format this daemon does not write (it gets the brief objects). */
static int reply_rows(struct daemon *d, struct client *c, json_t *req)
{
    const char *fields = json_string_value(json_object_get(req, "rows"));
    if (!fields || strcmp(fields, LS_ROWS_FIELDS) != 0)
        return 0;
    struct strbuf rows = STRBUF_INIT;
    int r = describe_rows(d, &rows);
    if (r < 0) {
        strbuf_free(&rows);
        server_reply_error_code(c, r, "listing: %s", strerror(-r));
        return 1;
    }
    server_reply(c, json_pack("{s:s%}", "rows", rows.buf ? rows.buf : "", rows.len));
    strbuf_free(&rows);
    return 1;
}

void cmd_list(struct daemon *d, struct client *c, json_t *req)
{
    int brief = json_is_true(json_object_get(req, "brief"));
    stats_sample(d);
    if (reply_rows(d, c, req))
        return;
    json_t *reply = json_object();
    if (brief)
        json_object_set_new(reply, "processes", describe_all_brief(d));
    else
        describe_into(d, reply, NULL, 0);
    if (!brief && json_is_true(json_object_get(req, "base_env"))) {
        /* jlist: the environment each app inherited, once per app */
        json_t *envs = json_object();
        for (size_t i = 0; i < d->reg.n_apps; i++) {
            const struct app *app = d->reg.apps[i];
            if (app->base_env)
                json_object_set(envs, app->name, app->base_env);
        }
        json_object_set_new(reply, "base_envs", envs);
    }
    server_reply(c, reply);
}

/* describe shows live counters (log lines, dropped bytes): each supervisor
 * is asked for a fresh snapshot first. */
static void describe_done(struct daemon *d, struct op *op)
{
    if (!op->client)
        return;
    struct inst **insts = calloc(op->n_tasks ? op->n_tasks : 1, sizeof(*insts));
    size_t n = 0;
    for (size_t i = 0; insts && i < op->n_tasks; i++) {
        struct inst *in = registry_find_inst(&d->reg, op->tasks[i].id);
        if (in)
            insts[n++] = in;
    }
    stats_sample(d);
    json_t *reply = json_object();
    describe_into(d, reply, insts, n);
    server_reply(op->client, reply);
    free(insts);
}

void cmd_describe(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    struct op *op = op_new(d, c, describe_done, NULL);
    if (!op) {
        free(insts);
        server_reply_error_code(c, -ENOMEM, "out of memory");
        return;
    }
    /* an instance without a supervisor ends its task at once: still shown */
    for (size_t i = 0; i < n; i++)
        op_add_request(op, insts[i], "status");
    free(insts);
    op_run(op);
}
