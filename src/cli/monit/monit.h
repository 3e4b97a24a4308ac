/* monit.h - `drover monit`, the full-screen terminal monitor: what its
 * parts share. cmd_monit.c runs the event loop and wires the parts:
 *
 *   sampler.h   list requests to the daemon, one a second, never waited for
 *   rows.h      the process list and each row's history (history.h)
 *   log_tail.h  the selected row's log files
 *   jobs.h      the actions, run as child drover commands
 *   view.h      drawing (ncurses)
 *   keys.h      what each key does
 *
 * Ownership: struct monit lives in cmd_monit.c for the whole run; its
 * parts are freed there. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "cli/monit/jobs.h"
#include "cli/monit/log_tail.h"
#include "cli/monit/rows.h"

struct ev_loop;
struct sampler;

enum monit_action {
    MONIT_NONE,
    MONIT_RESTART,
    MONIT_RELOAD,
    MONIT_STOP,
    MONIT_START,
    MONIT_SCALE_UP,
    MONIT_SCALE_DOWN,
};

enum monit_overlay {
    MONIT_MAIN,
    MONIT_HELP,
    MONIT_DESCRIBE,
};

struct monit {
    struct cli *cli;
    struct ev_loop *loop;
    struct sampler *sampler;
    struct jobs jobs;
    struct log_tail logs;
    struct monit_rows rows;
    uint64_t seq; /* list replies so far: the number of the next sample */

    /* the selected row, by app name and id (-1: the app's header), so that
     * it stays on its row as rows come and go */
    char sel_name[ROWS_TARGET_MAX];
    int64_t sel_id;
    size_t top; /* the first visible row on screen */

    char log_target[ROWS_TARGET_MAX]; /* what the log pane shows ("": none) */
    int64_t log_switch_timer;         /* a pending change of log_target */
    int64_t log_read_timer;           /* a pending read after inotify woke us */

    /* the status line: a question waiting for y, or the last message */
    enum monit_action confirm;
    char confirm_name[ROWS_TARGET_MAX]; /* the row asked about */
    int64_t confirm_id;
    char message[512];
    int message_bad;

    enum monit_overlay overlay;
    char *describe_text; /* owned; NULL while loading */
    char describe_title[ROWS_TARGET_MAX + 16];
    size_t overlay_top; /* the overlay's first line on screen */

    int color; /* colours: a terminal that has them, no NO_COLOR, no --no-color */
    int utf8;  /* the locale is UTF-8: block sparklines, box lines */
    int dirty; /* draw before waiting again */
    int quit;
};

/* The visible rows' indexes into m->rows, in order, into *out (malloc'd,
 * caller frees; NULL when there is none). Returns their count. */
size_t monit_visible(const struct monit *m, size_t **out);

/* The selected row's index in m->rows, or -1 when there is no row. */
long monit_selected(const struct monit *m);

/* Selects row index i of m->rows and asks for its logs in the pane (after
 * a short pause, so that holding a key does not open every row's files). */
void monit_select(struct monit *m, size_t i);

/* Sets the status line's message (printf format); bad: shown as an error. */
void monit_say(struct monit *m, int bad, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* What action does to row, for the status line ("restart api"), into buf
 * (len bytes). */
void monit_action_text(enum monit_action action, const struct monit_row *row, char *buf,
                       size_t len);

/* Runs action on row (its app, or its instance; scale: its app; start: its
 * instances that do not run) as a child drover command; the status line
 * says what runs and, later, how it went. */
void monit_run(struct monit *m, enum monit_action action, const struct monit_row *row);

/* Opens the describe overlay for target: `drover describe <target>`. */
void monit_describe(struct monit *m, const char *target);

/* The jobs' done callback (jobs.h; data is the struct monit): an action's
 * result goes to the status line, a describe's output to its overlay. */
void monit_job_done(struct job *job, void *data);
