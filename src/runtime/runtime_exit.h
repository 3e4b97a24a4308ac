/* runtime_exit.h - when drover-runtime exits by itself, and with what code:
 * once nothing runs and nothing will run again (every instance stopped or
 * errored, or no app left), so a container never loops on an app drover
 * gave up on. Pure. */
#pragma once

#include <jansson.h>

/* Looks at processes (the daemon's list, borrowed). Returns 0 while some
 * instance runs or will run again. Returns 1 when all are at rest, with the
 * exit code in *code: the highest of every instance's (0 for one stopped
 * on request, its exit code or 128+signal for one that ended and is not
 * restarted, the same or 1 for one errored), and at least 1 when one
 * errored; 0 with no instance at all. */
int runtime_exit_code(json_t *processes, int *code);
