/* persist.h - state.json: what the daemon knows, so a daemon restarted after
 * a crash (or an upgrade) knows every app and instance, including those
 * whose supervisor is gone. Written atomically after every change to the
 * registry; `drover logs` reads it too, to find log files with no daemon.
 *
 *   {"version": 1, "next_id": 7, "gen_floor": 3, "apps": [{"name", "config", "base_env",
 *     "created_at", "instances": [{"id", "gen", "slot", "want_running",
 *     "created_at", "restarts", "log_out", "log_err", "log_combined"}]}]}
 */
#pragma once

#include "daemon/daemon.h"

/* Reads state.json into the registry (no supervisor links). A missing file
 * is an empty state; a corrupt one is logged, kept aside as
 * state.json.corrupt, and treated as empty. */
int persist_load(struct daemon *d);
