/* replies.h - the reply most commands send when their operation ends: the
 * full process list (PM2 prints its table after every action), the errors
 * of the instances involved, and whether the wait timed out. */
#pragma once

#include "daemon/ops.h"

/* op_done_cb that replies with the process list. Instances of the op that
 * ended errored are listed under "errors" and make the reply ok=false; a
 * timeout does too. */
void reply_processes_when_done(struct daemon *d, struct op *op, int timed_out);

/* Replies at once with the process list (extra merged in, stolen). */
void reply_processes_now(struct daemon *d, struct client *c, json_t *extra);

/* Starts an op on insts that replies through reply_processes_when_done. */
void wait_and_reply(struct daemon *d, struct client *c, enum op_wait wait, struct inst **insts,
                    size_t n, int64_t t0, int64_t timeout_ms, json_t *extra);
