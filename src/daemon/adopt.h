/* adopt.h - what a starting daemon does before it answers anyone: read
 * state.json, connect to every supervisor still running (run/sup/ID.GEN.sock),
 * re-attach each to its instance (ids, restart counts and uptimes are the
 * supervisors' own), settle duplicates left by an interrupted reload, and
 * start a supervisor for every instance that should run but lost its own. */
#pragma once

#include "daemon/daemon.h"

/* Rebuilds the registry from state.json and the live supervisors. */
void adopt_all(struct daemon *d);
