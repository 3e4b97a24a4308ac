/* cmd_info.c - read-only commands: ping, list, describe. */
#include "base/timeutil.h"
#include "daemon/commands.h"
#include "daemon/describe.h"
#include "daemon/ops.h"
#include "daemon/registry.h"
#include "daemon/server.h"
#include "daemon/stats.h"
#include "daemon/targets.h"

#include <stdlib.h>
#include <unistd.h>

void cmd_ping(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    server_reply(c, json_pack("{s:b, s:i, s:s, s:I, s:s}", "pong", 1, "pid", (int)getpid(),
                              "version", DROVER_VERSION, "uptime_ms",
                              (json_int_t)(wall_ms() - d->started_at), "home", d->paths.home));
}

void cmd_list(struct daemon *d, struct client *c, json_t *req)
{
    int brief = json_is_true(json_object_get(req, "brief"));
    stats_sample(d);
    json_t *reply = json_object();
    if (brief)
        json_object_set_new(reply, "processes", describe_all_brief(d));
    else
        describe_into(d, reply, NULL, 0);
    server_reply(c, reply);
}

static void describe_done(struct daemon *d, struct op *op, int timed_out)
{
    (void)timed_out;
    struct inst **insts = calloc(op->n_ids ? op->n_ids : 1, sizeof(*insts));
    size_t n = 0;
    for (size_t i = 0; insts && i < op->n_ids; i++) {
        struct inst *in = registry_find_inst(&d->reg, op->ids[i]);
        if (in)
            insts[n++] = in;
    }
    stats_sample(d);
    json_t *reply = json_object();
    describe_into(d, reply, insts, n);
    server_reply(op->client, reply);
    free(insts);
}

/* describe shows live counters (log lines, dropped bytes): ask each
 * supervisor for a fresh snapshot first */
void cmd_describe(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    char err[512];
    if (targets_resolve(d, req, &insts, &n, err, sizeof(err)) < 0) {
        server_reply_error(c, "%s", err);
        return;
    }
    struct op *op = op_new(d, c, OP_WAIT_REPLIES, insts, n, wall_ms(), 2000, describe_done, NULL);
    if (!op) {
        free(insts);
        server_reply_error(c, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        op_request(d, op, insts[i], "status", NULL, NULL);
    free(insts);
    op_arm(d, op);
}
