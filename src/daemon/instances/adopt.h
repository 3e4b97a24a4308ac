/* adopt.h - what a starting daemon does before it answers anyone: read
 * state.json, find every supervisor of this home still running (in /proc,
 * by its argv: socket files may be gone, see orphans.h), and re-attach each
 * to its instance (ids, restart counts and uptimes are the supervisors'
 * own), settling duplicates left by an interrupted reload.
 *
 * Adoption never blocks the loop: every supervisor is asked "hello" at once
 * and attached when it answers. One that does not answer (stopped, busy) is
 * waited for, for as long as it lives: its instance shows "adopting" and no
 * second copy is ever started; one whose socket file is gone is asked
 * (SIGUSR2) to bind it again. An instance whose supervisor is gone has what
 * it left killed (orphans.h) before a new supervisor starts. */
#pragma once

#include <stdint.h>

#include "daemon/daemon.h"

/* Rebuilds the registry from state.json and the live supervisors, and
 * starts what lost its supervisor. With DROVER_FRESH_STATE=1 in the
 * environment (drover-runtime's first daemon) state.json is not read: only
 * live supervisors are adopted. The variable is removed either way. */
void adopt_all(struct daemon *d);

/* True while a supervisor of instance id has been found but not adopted. */
int adopt_pending(const struct daemon *d, int64_t id);

/* SIGKILLs the supervisors of id still waiting to be adopted (delete of an
 * instance whose supervisor does not answer); their exit settles it. */
void adopt_kill(struct daemon *d, int64_t id);

/* Forgets every pending adoption (daemon exit). */
void adopt_free_all(struct daemon *d);
