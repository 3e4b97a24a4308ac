/* logs_args.h - the command line of `drover logs` (PM2's options):
 *
 *   [target] --lines N --nostream --out --err --raw --json --format
 *   --timestamp [format] --highlight <text>
 *
 * --timestamp takes the next word as its format when that word looks like
 * one (a strftime format with '%', or PM2's dayjs tokens such as
 * "YYYY-MM-DD HH:mm"), so `logs --timestamp api` still means the app api;
 * --timestamp=FORMAT always works. PM2 formats are translated to strftime
 * (logs/line_format.h). */
#pragma once

#include "cli/cli.h"
#include "logs/line_format.h"

#define LOGS_DEFAULT_LINES 15                /* like PM2 */
#define LOGS_MAX_LINES 100000000             /* --lines above this is refused */
#define LOGS_DEFAULT_TS "%Y-%m-%dT%H:%M:%S"  /* --timestamp without a format */
#define LOGS_FORMAT_TS "%Y-%m-%dT%H:%M:%S%z" /* --format without --timestamp */
#define LOGS_HIGHLIGHT_MAX 1024              /* bytes of --highlight text */

struct logs_opts {
    const char *target; /* "all" when none was given */
    unsigned lines;
    int nostream;
    unsigned streams; /* LOG_SOURCES_* */
    int raw;
    int json;
    int format;            /* --format: key=value lines */
    const char *ts_format; /* strftime format; NULL: no timestamps */
    char ts_buf[LINE_FORMAT_TS_MAX];
    const char *highlight; /* NULL: none */
    size_t highlight_len;
};

/* Parses c's arguments into *o (which keeps pointers into c->argv).
 * Returns 0, or the exit code of a usage error after printing it. */
int logs_args_parse(struct cli *c, struct logs_opts *o);
