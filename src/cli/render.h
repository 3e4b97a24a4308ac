/* render.h - how the CLI shows processes to people: the `ls` table (PM2's
 * columns), `describe`'s key/value block, and colours (only on a TTY, never
 * with NO_COLOR). Input is the daemon's canonical process objects
 * (daemon/describe.h). */
#pragma once

#include <jansson.h>

#include "cli/cli.h"
#include "cli/ls_rows.h"

/* Prints the process table (a note when there is none), sorted by name as
 * PM2 does (proc_sort.h): the table after every action. */
void render_table(const struct cli *c, json_t *processes);

/* The same table from rows, in their order (`ls`, `ls --sort`). */
void render_rows(const struct cli *c, const struct ls_rows *rows);

/* Prints PM2's mini list (`ls -m`): a few "key : value" lines per
 * process, each block headed "+--- <name>". Needs the full objects. */
void render_mini(const struct cli *c, json_t *processes);

/* Prints one process in detail. */
void render_describe(const struct cli *c, json_t *proc);
