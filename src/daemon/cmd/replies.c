/* replies.c - the process-list reply at the end of an operation. */
#include "daemon/cmd/replies.h"
#include "daemon/server.h"
#include "daemon/state/describe.h"
#include "daemon/state/stats.h"

#include <errno.h>

void reply_when_done(struct daemon *d, struct op *op)
{
    if (!op->client)
        return;
    stats_sample(d);
    json_t *reply = json_deep_copy(op->extra);
    json_t *errors = json_array();
    int failed = 0, reloads = 0;
    json_int_t replaced = 0, restarted = 0;
    for (size_t i = 0; i < op->n_tasks; i++) {
        const struct task *t = &op->tasks[i];
        failed |= t->result == TASK_FAILED;
        if (t->kind == TASK_RELOAD) {
            reloads = 1;
            if (t->result == TASK_OK)
                *(t->replaced ? &replaced : &restarted) += 1;
        }
        if ((t->result == TASK_FAILED || t->result == TASK_TIMED_OUT) && t->message[0])
            json_array_append_new(errors, json_string(t->message));
    }
    if (json_array_size(errors) > 0) {
        json_object_set_new(reply, "ok", json_false());
        json_object_set(reply, "error", json_array_get(errors, 0));
        json_object_set_new(reply, "code", json_string(failed ? "EIO" : "ETIMEDOUT"));
    }
    json_object_set_new(reply, "errors", errors);
    if (reloads) {
        json_object_set_new(reply, "replaced", json_integer(replaced));
        json_object_set_new(reply, "restarted", json_integer(restarted));
    }
    describe_into(d, reply, NULL, 0);
    server_reply(op->client, reply);
}

void reply_processes_now(struct daemon *d, struct client *c, json_t *extra)
{
    stats_sample(d);
    json_t *reply = extra ? extra : json_object();
    describe_into(d, reply, NULL, 0);
    server_reply(c, reply);
}

struct op *reply_op_new(struct daemon *d, struct client *c)
{
    struct op *op = op_new(d, c, reply_when_done, NULL);
    if (!op)
        server_reply_error_code(c, -ENOMEM, "out of memory");
    return op;
}
