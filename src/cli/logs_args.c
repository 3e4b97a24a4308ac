/* logs_args.c - parsing `drover logs`'s options (logs_args.h). */
#include "cli/logs_args.h"
#include "base/parse.h"
#include "logs/log_sources.h"

#include <string.h>

/* Does word look like a date format rather than a target? A strftime
 * format has '%'; a dayjs one is made of its tokens (a doubled Y M D H h
 * m s) and separators only. */
static int looks_like_date_format(const char *word)
{
    if (strchr(word, '%'))
        return 1;
    int doubled = 0;
    for (const char *p = word; *p; p++) {
        if (!strchr("YMDHhmsSZAa:./ _T,-", *p))
            return 0;
        doubled |= p[1] == p[0] && strchr("YMDHhms", *p);
    }
    return doubled;
}

static int set_timestamp(struct logs_opts *o, const char *format)
{
    o->ts_format = format && *format ? format : LOGS_DEFAULT_TS;
    if (!strchr(o->ts_format, '%')) {
        if (line_format_pm2_date(o->ts_format, o->ts_buf, sizeof(o->ts_buf)) < 0)
            return cli_usage("--timestamp: cannot use the format '%s'", o->ts_format);
        o->ts_format = o->ts_buf;
    }
    return 0;
}

static int set_lines(struct logs_opts *o, const char *text)
{
    int64_t n;
    if (!text || parse_int64(text, 0, LOGS_MAX_LINES, &n) < 0)
        return cli_usage("--lines: expected a number from 0 to %d, got '%s'", LOGS_MAX_LINES,
                         text ? text : "");
    o->lines = (unsigned)n;
    return 0;
}

static int set_highlight(struct logs_opts *o, const char *text)
{
    if (!text || !*text)
        return cli_usage("--highlight needs the text to highlight");
    if (strlen(text) > LOGS_HIGHLIGHT_MAX)
        return cli_usage("--highlight: at most %d bytes", LOGS_HIGHLIGHT_MAX);
    o->highlight = text;
    o->highlight_len = strlen(text);
    return 0;
}

int logs_args_parse(struct cli *c, struct logs_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->target = "all";
    o->lines = LOGS_DEFAULT_LINES;
    o->streams = LOG_SOURCES_BOTH;
    o->json = c->json;
    int have_target = 0, r = 0;
    for (int i = 0; i < c->argc && r == 0; i++) {
        const char *a = c->argv[i];
        const char *next = i + 1 < c->argc ? c->argv[i + 1] : NULL;
        if (!strcmp(a, "--lines")) {
            r = set_lines(o, next);
            i++;
        } else if (!strncmp(a, "--lines=", 8)) {
            r = set_lines(o, a + 8);
        } else if (!strcmp(a, "--nostream")) {
            o->nostream = 1;
        } else if (!strcmp(a, "--out")) {
            o->streams = LOG_SOURCES_OUT;
        } else if (!strcmp(a, "--err")) {
            o->streams = LOG_SOURCES_ERR;
        } else if (!strcmp(a, "--raw")) {
            o->raw = 1;
        } else if (!strcmp(a, "--format")) {
            o->format = 1;
        } else if (!strcmp(a, "--timestamp")) {
            int takes = next && next[0] != '-' && looks_like_date_format(next);
            r = set_timestamp(o, takes ? next : NULL);
            i += takes;
        } else if (!strncmp(a, "--timestamp=", 12)) {
            r = set_timestamp(o, a + 12);
        } else if (!strcmp(a, "--highlight")) {
            r = set_highlight(o, next);
            i++;
        } else if (!strncmp(a, "--highlight=", 12)) {
            r = set_highlight(o, a + 12);
        } else if (a[0] == '-' && a[1] != '\0') {
            r = cli_usage("logs: unknown option '%s'", a);
        } else if (have_target++) {
            r = cli_usage("logs: one target at most (a name, an id, a namespace or all)");
        } else {
            o->target = a;
        }
    }
    if (r == 0 && o->format && !o->ts_format)
        o->ts_format = LOGS_FORMAT_TS;
    return r;
}
