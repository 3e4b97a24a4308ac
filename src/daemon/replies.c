/* replies.c - the process-list reply at the end of an operation. */
#include "daemon/replies.h"
#include "daemon/describe.h"
#include "daemon/registry.h"
#include "daemon/server.h"
#include "daemon/stats.h"

#include <stdio.h>
#include <string.h>

static const char *wait_name(enum op_wait w)
{
    switch (w) {
    case OP_WAIT_SETTLED:
        return "start";
    case OP_WAIT_STOPPED:
        return "stop";
    case OP_WAIT_GONE:
        return "exit";
    case OP_WAIT_REPLIES:
        return "answer";
    }
    return "finish";
}

void reply_processes_when_done(struct daemon *d, struct op *op, int timed_out)
{
    if (!op->client)
        return;
    stats_sample(d);
    json_t *reply = json_deep_copy(op->extra);
    json_t *errors = json_array();
    for (size_t i = 0; i < op->n_ids; i++) {
        struct inst *in = registry_find_inst(&d->reg, op->ids[i]);
        if (!in)
            continue;
        char msg[512];
        if (!strcmp(in->snap.status, "errored")) {
            snprintf(msg, sizeof(msg), "%s (id %lld) errored: %s", in->app->name, (long long)in->id,
                     in->snap.reason[0] ? in->snap.reason : "unknown reason");
            json_array_append_new(errors, json_string(msg));
        } else if (timed_out && !op_inst_ready(in, op->wait, op->t0)) {
            snprintf(msg, sizeof(msg), "%s (id %lld) did not %s in time (status %s)", in->app->name,
                     (long long)in->id, wait_name(op->wait), in->snap.status);
            json_array_append_new(errors, json_string(msg));
        }
    }
    if (json_array_size(errors) > 0) {
        json_object_set_new(reply, "ok", json_false());
        json_object_set_new(reply, "error",
                            json_string(json_string_value(json_array_get(errors, 0))));
    }
    json_object_set_new(reply, "errors", errors);
    describe_into(d, reply, NULL, 0);
    server_reply(op->client, reply);
}

void wait_and_reply(struct daemon *d, struct client *c, enum op_wait wait, struct inst **insts,
                    size_t n, int64_t t0, int64_t timeout_ms, json_t *extra)
{
    struct op *op = op_new(d, c, wait, insts, n, t0, timeout_ms, reply_processes_when_done, NULL);
    if (!op) {
        json_decref(extra);
        server_reply_error(c, "out of memory");
        return;
    }
    if (extra) {
        json_object_update(op->extra, extra);
        json_decref(extra);
    }
    op_arm(d, op);
}

void reply_processes_now(struct daemon *d, struct client *c, json_t *extra)
{
    stats_sample(d);
    json_t *reply = extra ? extra : json_object();
    describe_into(d, reply, NULL, 0);
    server_reply(c, reply);
}
