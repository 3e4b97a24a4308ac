/* lifecycle.h - what the daemon does to one instance: start, stop,
 * restart, delete, a new supervisor (reload, apply), and what happens when
 * a supervisor disappears. The operation engine (ops/ops.h) calls these;
 * they send requests to supervisors and return at once: waiting for the
 * outcome is the engine's job.
 *
 * The restart counter has one writer, the supervisor: the daemon only says
 * where a new supervisor starts counting from (its last snapshot, plus one
 * when the new supervisor replaces a run). */
#pragma once

#include <stddef.h>

#include "daemon/daemon.h"

struct suplink;

/* Starts inst: through its supervisor if it has one, else by spawning a new
 * supervisor (next generation); either way the supervisor gets the sockets
 * of the instance's slot, bound again when the app was stopped
 * (listeners.h). Returns 0 or a negative errno (err set): -EBUSY while a
 * supervisor found at daemon start has not answered (no second copy is
 * ever started), a bind error. The same holds for stop and restart. */
int lifecycle_start(struct daemon *d, struct inst *inst, char *err, size_t errlen);

/* Stops inst (its supervisor stays, the instance shows "stopped", and
 * drops its copies of the sockets). When no instance of the app is wanted
 * running any more, the daemon closes the app's sockets: the port refuses
 * connections once the app's processes are gone. */
int lifecycle_stop(struct daemon *d, struct inst *inst, char *err, size_t errlen);

/* Restarts inst (stop signal, wait, start), counted as a restart. */
int lifecycle_restart(struct daemon *d, struct inst *inst, char *err, size_t errlen);

/* Deletes inst: stops the app, the supervisor exits, the instance is removed
 * from the registry when its link drops (at once when it has none). */
void lifecycle_delete(struct daemon *d, struct inst *inst);

/* Spawns a replacement supervisor for inst (next generation, same slot and
 * sockets, the app's current config) as inst->next_link. counted: the
 * replacement's first run counts as a restart. Returns it, or NULL with err
 * set. */
struct suplink *lifecycle_spawn_replacement(struct daemon *d, struct inst *inst, int counted,
                                            char *err, size_t errlen);

/* The replacement repl takes over inst: it becomes the primary and the
 * generation moves on. Returns the previous primary (disowned: the caller
 * tells it to go), or NULL. */
struct suplink *lifecycle_promote(struct daemon *d, struct inst *inst, struct suplink *repl);

/* A replacement that will not take over: told to delete itself, disowned. */
void lifecycle_dismiss_replacement(struct daemon *d, struct inst *inst, struct suplink *repl);

/* A new supervisor on the app's current config takes over at once (the old
 * one, whose app is stopped, exits): apply of a changed config. Returns 0
 * or a negative errno with err set. */
int lifecycle_swap_supervisor(struct daemon *d, struct inst *inst, int counted, char *err,
                              size_t errlen);

/* Called by suplink when the primary link drops: removes a deleted
 * instance, or, when the supervisor died unexpectedly, kills what it left
 * and starts a new supervisor after a short delay if the instance should
 * run. */
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
