/* ops.c - operations that wait for instances to reach a state. */
#include "daemon/ops.h"
#include "daemon/registry.h"
#include "daemon/suplink.h"
#include "loop/loop.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next_seq = 1;

int op_inst_ready(const struct inst *inst, enum op_wait wait, int64_t t0)
{
    if (!inst)
        return 1;
    const struct inst_snap *s = &inst->snap;
    switch (wait) {
    case OP_WAIT_GONE:
    case OP_WAIT_REPLIES:
        return 0;
    case OP_WAIT_STOPPED:
        return !inst->link || !strcmp(s->status, "stopped") || !strcmp(s->status, "errored");
    case OP_WAIT_SETTLED:
        if (!strcmp(s->status, "errored"))
            return 1;
        if (!strcmp(s->status, "stopped"))
            return !inst->want_running || s->last_exit_at >= t0;
        if (!strcmp(s->status, "online"))
            return s->started_at >= t0;
        if (!strcmp(s->status, "waiting restart"))
            return s->last_exit_at >= t0 || !inst->link;
        return 0;
    }
    return 0;
}

static void unlink_op(struct daemon *d, struct op *op)
{
    for (struct op **pp = &d->ops; *pp; pp = &(*pp)->next) {
        if (*pp == op) {
            *pp = op->next;
            return;
        }
    }
}

static void op_free(struct op *op)
{
    json_decref(op->extra);
    free(op->ids);
    free(op);
}

static void finish(struct daemon *d, struct op *op, int timed_out)
{
    unlink_op(d, op);
    ev_timer_cancel(d->loop, op->timer);
    op->done(d, op, timed_out);
    op_free(op);
}

static int op_complete(struct daemon *d, const struct op *op)
{
    if (op->wait == OP_WAIT_REPLIES)
        return op->pending_replies == 0;
    for (size_t i = 0; i < op->n_ids; i++)
        if (!op_inst_ready(registry_find_inst(&d->reg, op->ids[i]), op->wait, op->t0))
            return 0;
    return 1;
}

static void on_timeout(struct ev_loop *loop, void *data)
{
    struct op *op = data;
    (void)loop;
    op->timer = 0;
    finish(op->d, op, 1);
}

struct op *op_new(struct daemon *d, struct client *c, enum op_wait wait, struct inst **insts,
                  size_t n, int64_t t0, int64_t timeout_ms, op_done_cb done, void *data)
{
    struct op *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->ids = calloc(n ? n : 1, sizeof(int64_t));
    if (!op->ids) {
        free(op);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        op->ids[i] = insts[i]->id;
    op->n_ids = n;
    op->d = d;
    op->client = c;
    op->wait = wait;
    op->t0 = t0;
    op->done = done;
    op->data = data;
    op->extra = json_object();
    op->seq = next_seq++;
    op->next = d->ops;
    d->ops = op;
    op->timer = ev_timer_add(d->loop, timeout_ms, on_timeout, op);
    return op;
}

void op_arm(struct daemon *d, struct op *op)
{
    if (op_complete(d, op))
        finish(d, op, 0);
}

void ops_poll(struct daemon *d)
{
    /* finishing an op can start or finish others: restart the scan each time */
    for (;;) {
        struct op *ready = NULL;
        for (struct op *op = d->ops; op; op = op->next) {
            if (op_complete(d, op)) {
                ready = op;
                break;
            }
        }
        if (!ready)
            return;
        finish(d, ready, 0);
    }
}

void ops_client_gone(struct daemon *d, struct client *c)
{
    for (struct op *op = d->ops; op; op = op->next)
        if (op->client == c)
            op->client = NULL;
}

void ops_free_all(struct daemon *d)
{
    while (d->ops) {
        struct op *op = d->ops;
        d->ops = op->next;
        ev_timer_cancel(d->loop, op->timer);
        op_free(op);
    }
}

static void on_reply(struct daemon *d, struct suplink *l, struct inst *inst,
                     const struct kv_msg *reply, int ok, int *fds, unsigned n_fds, void *data)
{
    uint64_t seq = (uint64_t)(uintptr_t)data;
    (void)l;
    (void)inst;
    (void)reply;
    (void)fds;
    (void)n_fds;
    for (struct op *op = d->ops; op; op = op->next) {
        if (op->seq != seq)
            continue;
        op->pending_replies--;
        if (!ok)
            op->failed_replies++;
        break;
    }
    ops_poll(d);
}

int op_request(struct daemon *d, struct op *op, struct inst *inst, const char *cmd,
               const char *extra_key, const char *extra_value)
{
    (void)d;
    if (!inst->link)
        return -ENOTCONN;
    int r = suplink_request(inst->link, cmd, extra_key, extra_value, on_reply,
                            (void *)(uintptr_t)op->seq);
    if (r == 0)
        op->pending_replies++;
    return r;
}
