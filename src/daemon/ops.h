/* ops.h - operations that wait for instances to reach a state before the
 * daemon answers the CLI: "stop" answers when every target is stopped,
 * "restart" when every target runs again, "delete" when they are gone.
 *
 * An op holds instance ids (not pointers: instances can vanish), is
 * re-checked whenever a supervisor reports a change (ops_poll), and ends by
 * calling its done callback once: when all instances are there, or at its
 * deadline (timed_out = 1). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon.h"

struct client;
struct op;

enum op_wait {
    OP_WAIT_SETTLED, /* online since the op began, or stopped/errored/crashed since */
    OP_WAIT_STOPPED, /* stopped or errored (or no supervisor) */
    OP_WAIT_GONE,    /* removed from the registry */
    OP_WAIT_REPLIES, /* every request sent with op_request has been answered */
};

typedef void (*op_done_cb)(struct daemon *d, struct op *op, int timed_out);

struct op {
    struct op *next;
    struct daemon *d;
    struct client *client; /* NULL once the CLI went away */
    int64_t *ids;
    size_t n_ids;
    enum op_wait wait;
    int64_t t0; /* wall ms when the op began */
    int64_t timer;
    op_done_cb done;
    void *data;
    json_t *extra; /* fields merged into the reply, owned */
    uint64_t seq;  /* unique, for callbacks that must find the op again */
    int pending_replies;
    int failed_replies;
};

/* Registers an op waiting on insts; timeout_ms bounds the wait. The caller
 * may fill op->extra, then must call op_arm. Returns NULL on allocation
 * failure. */
struct op *op_new(struct daemon *d, struct client *c, enum op_wait wait, struct inst **insts,
                  size_t n, int64_t t0, int64_t timeout_ms, op_done_cb done, void *data);

/* Checks the op once: it may complete (and be freed) before this returns. */
void op_arm(struct daemon *d, struct op *op);

/* Sends cmd to inst's supervisor on behalf of an OP_WAIT_REPLIES op; the op
 * completes when every such request was answered (or its link dropped).
 * Returns 0, or a negative errno when inst has no supervisor. */
int op_request(struct daemon *d, struct op *op, struct inst *inst, const char *cmd,
               const char *extra_key, const char *extra_value);

/* Re-checks every pending op. */
void ops_poll(struct daemon *d);

/* The CLI of c disconnected: its ops keep running but will not reply. */
void ops_client_gone(struct daemon *d, struct client *c);

/* True when inst satisfies the wait relative to t0. */
int op_inst_ready(const struct inst *inst, enum op_wait wait, int64_t t0);

/* Frees every pending op without calling them (daemon exit). */
void ops_free_all(struct daemon *d);
