/* replies.h - the reply most commands send when their operation ends: the
 * full process list (PM2 prints its table after every action), the errors
 * of the tasks that did not end well, and ok=false when there are any. */
#pragma once

#include "daemon/ops/ops.h"

/* op_done_cb that replies with the process list and the op's errors;
 * op->extra is merged into the reply. */
void reply_when_done(struct daemon *d, struct op *op);

/* Replies at once with the process list (extra merged in, stolen; may be
 * NULL). */
void reply_processes_now(struct daemon *d, struct client *c, json_t *extra);

/* An op that replies through reply_when_done, or NULL after replying
 * "out of memory". */
struct op *reply_op_new(struct daemon *d, struct client *c);
