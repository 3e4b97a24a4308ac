/* lifecycle.h - starting, stopping, restarting and deleting instances, and
 * what happens when a supervisor disappears. Commands (cmd_*.c) call these;
 * they send requests to supervisors and return at once: waiting for the
 * outcome is the job of operations (ops.h). */
#pragma once

#include <stddef.h>

#include "daemon/daemon.h"

/* Starts inst: through its supervisor if it has one, else by spawning a new
 * supervisor (next generation). Returns 0 or a negative errno (err set):
 * -EBUSY while a supervisor found at daemon start has not answered (no
 * second copy is ever started). The same holds for stop and restart. */
int lifecycle_start(struct daemon *d, struct inst *inst, char *err, size_t errlen);

/* Stops inst (its supervisor stays, the instance shows "stopped"). */
int lifecycle_stop(struct daemon *d, struct inst *inst);

/* Restarts inst (stop signal, wait, start). */
int lifecycle_restart(struct daemon *d, struct inst *inst, char *err, size_t errlen);

/* Deletes inst: stops the app, the supervisor exits, the instance is removed
 * from the registry when its link drops. */
int lifecycle_delete(struct daemon *d, struct inst *inst);

/* Called by suplink when a link drops: removes a deleted instance, or, when
 * the supervisor died unexpectedly, kills what is left of the app tree and
 * starts a new supervisor if the instance should be running. */
void supervisor_gone(struct daemon *d, struct inst *inst);

/* A supervisor found at daemon start died before it was adopted (what it
 * left is already killed): removes a deleted instance, or starts a new
 * supervisor when the instance should run. */
void supervisor_lost_before_adoption(struct daemon *d, struct inst *inst);

/* Creates an instance of app (next id, given slot), resolves its log paths
 * and starts its supervisor (start: run the app now). Returns the instance
 * or NULL with err set. */
struct inst *lifecycle_create_inst(struct daemon *d, struct app *app, int slot, int start,
                                   char *err, size_t errlen);
