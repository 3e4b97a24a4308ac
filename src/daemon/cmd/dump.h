/* dump.h - the saved process list, $DROVER_HOME/dump.json (PM2's
 * dump.pm2): what `drover save` wrote and `drover resurrect` (or a boot
 * with `droverd --resurrect`) starts again.
 *
 *   {"version": 1, "saved_at": <wall ms>, "apps": [{"name", "config",
 *     "base_env", "created_at", "instances": [{"slot", "want_running"}]}]}
 *
 * Runtime state (pids, ids, generations, restart counts) is not saved: the
 * dump describes what should run, not what ran. The file is replaced
 * atomically (temporary file, fsync, rename, directory fsync); the one it
 * replaces is kept as dump.json.bak. A failed write (ENOSPC included)
 * leaves both as they were. Commands: save, resurrect, cleardump
 * (cmd_dump.c). */
#pragma once

#include "daemon/ops/ops.h"

#define DUMP_FILE "dump.json"

/* At boot (droverd --resurrect, nothing registered): starts the dumped apps
 * and calls done (an op callback, op->client NULL) once they settled or
 * failed, or at once when there is nothing to start. A missing dump is an
 * empty one; an unreadable one is logged. */
void dump_resurrect_at_boot(struct daemon *d, op_done_cb done);
