/* describe.h - instances as JSON for the CLI. One canonical "process"
 * object; the CLI renders it as the `ls` table, `describe`, or PM2's jlist
 * shape (cli/pm2_shape.c). Fields:
 *
 *   id name namespace mode instances slot gen pid sup_pid status ready
 *   restarts unstable_restarts started_at uptime_ms created_at exit_code
 *   exit_signal last_exit_at reason cpu memory script interpreter args cwd
 *   log_out log_err log_combined log_lines log_bytes log_dropped
 *   log_rotations cgroup
 *
 * On the wire the app configs travel once per app, not once per instance
 * (a 1 MB config times 34 instances would not fit a reply): a reply holds
 * "processes" and "apps" ({name: config}); the CLI puts "config" back into
 * each process object it shows (cli/client.c).
 */
#pragma once

#include <jansson.h>

#include "base/strbuf.h"
#include "daemon/daemon.h"

/* Describes one instance (new reference), without its config. */
json_t *describe_inst(const struct daemon *d, const struct inst *inst);

/* Sets reply["processes"] to the description of insts (all of them when
 * insts is NULL) and reply["apps"] to the configs of their apps. */
void describe_into(const struct daemon *d, json_t *reply, struct inst **insts, size_t n);

/* The columns of the `ls` table only (id name namespace mode instances pid
 * status restarts uptime_ms cpu memory), for every instance: a tenth of the
 * full description's size with many apps. */
json_t *describe_all_brief(const struct daemon *d);

/* Appends the `ls` table's rows of every instance to out, in the format of
 * proto/ls_rows.h. Returns 0 or a negative errno (out's limit). */
int describe_rows(const struct daemon *d, struct strbuf *out);
