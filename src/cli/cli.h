/* cli.h - what every CLI verb shares: options that apply to all commands
 * and the verb table. Verbs live in cmd_*.c; each returns the process exit
 * code (0 ok, 1 failure, 2 usage error). */
#pragma once

#include <jansson.h>

#include "base/macros.h"
#include "base/paths.h"

struct cli {
    int argc; /* arguments after the verb */
    char **argv;
    const char *verb;
    int json;   /* --json: machine-readable output */
    int color;  /* colours on (a TTY and no NO_COLOR) */
    int silent; /* -s / --silent: no table after actions */
    struct drover_paths paths;
    char exe_dir[4096];
};

/* Prints "drover: error: <message>" to stderr (one line). Returns 1. */
int cli_error(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Prints "drover: <usage>" hint and returns 2. */
int cli_usage(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Prints "[drover] <message>" to stdout unless silent or json. */
void cli_say(const struct cli *c, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Verbs. */
int cmd_start(struct cli *c);
int cmd_stop(struct cli *c);
int cmd_restart(struct cli *c);
int cmd_delete(struct cli *c);
int cmd_reset(struct cli *c);
int cmd_list(struct cli *c);
int cmd_jlist(struct cli *c);
int cmd_describe(struct cli *c);
int cmd_pid(struct cli *c);
int cmd_ping(struct cli *c);
int cmd_kill(struct cli *c);
int cmd_update(struct cli *c);
int cmd_send_signal(struct cli *c);
int cmd_reload_logs(struct cli *c);
int cmd_flush(struct cli *c);
int cmd_logs(struct cli *c);
int cmd_help(struct cli *c);
int cmd_version(struct cli *c);
