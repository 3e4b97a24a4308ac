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
    int json;       /* --json: machine-readable output */
    int color;      /* colours on (a TTY and no NO_COLOR) */
    int silent;     /* -s / --silent: no table after actions */
    int timeout_ms; /* wait for the daemon's sign of life; 0: DROVER_TIMEOUT or the default */
    struct drover_paths paths;
    char exe_dir[4096];
};

/* The verb table (main.c): every name and alias drover runs, in the order
 * of `drover help`. Names starting with "__" are internal (the completion
 * scripts and the build call them) and listed nowhere. */
struct cli_verb {
    const char *name;
    int (*fn)(struct cli *);
};
extern const struct cli_verb cli_verbs[];
extern const size_t cli_verbs_len;

/* Sets c->exe_dir to the directory of the running binary (its real path,
 * from /proc/self/exe; "." when unknown): where drover finds droverd. */
void cli_find_exe_dir(struct cli *c);

/* Prints "drover: error: <message>" to stderr (one line). Returns 1. */
int cli_error(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Prints "drover: <usage>" hint and returns 2. */
int cli_usage(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Prints "[drover] <message>" to stdout unless silent or json. */
void cli_say(const struct cli *c, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Prints v to stdout as one line of compact JSON and drops the caller's
 * reference to it (v NULL: a failed json_pack). Returns 0, or 1 after an
 * error message (out of memory). */
int cli_print_json(json_t *v);

/* Prints the warnings and errors of a daemon reply to stderr, then the
 * process list it carries (table, or JSON with --json) and done_msg when it
 * succeeded. Returns the exit code: 0 when the reply is ok, else 1. */
int cli_report(const struct cli *c, json_t *reply, const char *done_msg);

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
int cmd_reload(struct cli *c);
int cmd_scale(struct cli *c);
int cmd_help(struct cli *c);

/* Ecosystem files (cmd_ecosystem.c): the *_any verbs take a file or fall
 * back to the plain verbs above. */
int cmd_start_any(struct cli *c);
int cmd_restart_any(struct cli *c);
int cmd_reload_any(struct cli *c);
int cmd_stop_any(struct cli *c);
int cmd_delete_any(struct cli *c);
int cmd_start_or_restart(struct cli *c);
int cmd_start_or_reload(struct cli *c);

/* Persistence and boot (cmd_dump.c). */
int cmd_save(struct cli *c);
int cmd_resurrect(struct cli *c);
int cmd_cleardump(struct cli *c);
int cmd_startup(struct cli *c);
int cmd_unstartup(struct cli *c);

/* Listings in PM2's forms (cmd_listing.c): ls with --sort and -m, prettylist,
 * id. */
int cmd_ls(struct cli *c);
int cmd_prettylist(struct cli *c);
int cmd_id(struct cli *c);

/* Through an app's supervisor (cmd_send.c): a line to its stdin, its
 * environment. */
int cmd_send(struct cli *c);
int cmd_env(struct cli *c);

/* ecosystem|init [simple]: a sample ecosystem.config.js (cmd_init.c). */
int cmd_init(struct cli *c);

/* monit|imonit (cmd_monit.c): the full-screen terminal monitor (ncurses):
 * the process list with CPU, memory, restarts and sparklines, the selected
 * app's logs, keys for the actions. Needs a terminal on stdin and stdout
 * (else one line and exit 1); returns 0 after q or ^C. It lives in its own
 * program, drover-monit (monit_main.c), so that drover itself does not
 * load ncurses at every start. */
int cmd_monit(struct cli *c);

/* monit|imonit in drover (cmd_monit_launch.c): replaces this process with
 * drover-monit (helpers.h), passing the verb, its arguments, --no-color and
 * the directory drover runs from. Returns 1 (message printed) only when it
 * cannot. */
int cmd_monit_launch(struct cli *c);

/* dashboard|dash (cmd_dashboard.c): prints the URL of the daemon's web
 * dashboard with its token (the daemon starts serving HTTP on --address,
 * 127.0.0.1:9615 by default, when it does not yet); --open runs xdg-open on
 * it. Returns 0, 1 on an error, 2 on a usage error. */
int cmd_dashboard(struct cli *c);

/* More of PM2's verbs (cmd_admin.c): usage examples, reloadLogs quietly. */
int cmd_examples(struct cli *c);
int cmd_reload_logs_silently(struct cli *c);

/* Shell completion (cmd_completion.c): `completion bash|zsh|fish` prints
 * the script, `completion install [shell]` writes it where the shell looks;
 * `__complete <words...>` prints the candidates for the last word. */
int cmd_completion(struct cli *c);
int cmd_complete_words(struct cli *c);

/* version (cmd_version.c): the version, git revision, build options and
 * where the helper programs are (--json: one object). */
int cmd_version(struct cli *c);

/* doctor (cmd_doctor.c): what this machine supports, with a hint for each
 * missing piece. */
int cmd_doctor(struct cli *c);

/* __manpage <page> (cmd_manpage.c): prints a man page (roff), generated
 * from the verb and option tables; the build installs its output. */
int cmd_manpage(struct cli *c);

/* Containers and balancers: `probe live|ready [app]` (cmd_probe.c), `drain
 * <app|all>` (cmd_drain.c), `export nginx|haproxy <app> --hosts ...`
 * (cmd_export.c). */
int cmd_probe(struct cli *c);
int cmd_drain(struct cli *c);
int cmd_export(struct cli *c);
