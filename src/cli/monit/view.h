/* view.h - how `drover monit` looks: ncurses on the terminal of stdin and
 * stdout. From the top:
 *
 *   title      apps, instances, totals
 *   header     id name status cpu mem restarts uptime, sparklines
 *   the list   one row per instance, a header row per app of several;
 *              the selected row reversed (and marked '>')
 *   logs       the selected row's log lines, newest last
 *   status     a question waiting for y, a command's result, or why the
 *              figures are stale
 *   help       the keys
 *
 * The list takes the rows it needs, leaving the logs at least a third of
 * the screen; columns follow the width (uptime goes below 80 columns, a
 * memory sparkline comes from 110). Fits 80x24; any size redraws. Colours
 * only with m->color (NO_COLOR, --no-color and terminals without colours
 * get attributes: reverse, bold, dim). Text from apps (names, log lines) is
 * cut to its column and shows control characters as '?'. */
#pragma once

#include "cli/monit/monit.h"

/* Takes over the terminal (curses' newterm on stdout and stdin: alternate
 * screen, no echo, keys one by one, no cursor). Returns 0, or -ENOTTY when
 * curses cannot drive it (TERM unknown). */
int view_start(struct monit *m);

/* Follows the terminal's new size (after SIGWINCH). */
void view_resize(struct monit *m);

/* Draws everything that changed (curses sends the difference). */
void view_draw(struct monit *m);

/* Rows the list or an overlay shows at once (a page, for PgUp/PgDn). */
int view_page_rows(const struct monit *m);

/* The next key typed, or -1 when none is waiting (never blocks). */
int view_key(void);

/* Repaints the whole screen at the next draw (^L). */
void view_repaint(void);

/* Gives the terminal back as it was (main screen, echo, cursor). */
void view_end(void);
