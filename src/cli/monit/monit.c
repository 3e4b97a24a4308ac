/* monit.c - what the parts of `drover monit` share (monit.h): selection,
 * the status line, the actions and describe as child drover commands. */
#include "cli/monit/monit.h"
#include "base/macros.h"
#include "cli/monit/sampler.h"
#include "loop/loop.h"
#include "proto/status.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define LOG_SWITCH_DELAY_MS 150 /* the selection must rest this long */
#define LOG_FIRST_LINES 200     /* lines of each file shown at first */
#define START_IDS_MAX 24        /* instances one start key press starts */

size_t monit_visible(const struct monit *m, size_t **out)
{
    *out = NULL;
    if (m->rows.n == 0)
        return 0;
    size_t *idx = malloc(m->rows.n * sizeof(*idx));
    if (!idx)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < m->rows.n; i++)
        if (rows_visible(&m->rows, i))
            idx[n++] = i;
    *out = idx;
    return n;
}

long monit_selected(const struct monit *m)
{
    return rows_find(&m->rows, m->sel_name, m->sel_id);
}

static void on_log_switch(struct ev_loop *loop, void *data)
{
    struct monit *m = data;
    (void)loop;
    m->log_switch_timer = 0;
    long i = monit_selected(m);
    if (i < 0)
        return;
    rows_target(&m->rows.items[i], m->log_target);
    /* a target without logs (gone since) is an empty pane */
    (void)log_tail_open(&m->logs, m->log_target, LOG_FIRST_LINES);
    m->dirty = 1;
}

void monit_select(struct monit *m, size_t i)
{
    const struct monit_row *r = &m->rows.items[i];
    char target[ROWS_TARGET_MAX];
    snprintf(m->sel_name, sizeof(m->sel_name), "%s", r->name);
    m->sel_id = r->id;
    m->dirty = 1;
    rows_target(r, target);
    ev_timer_cancel(m->loop, m->log_switch_timer);
    m->log_switch_timer = 0;
    if (!strcmp(target, m->log_target))
        return;
    if (!m->log_target[0]) { /* the first one: at once */
        on_log_switch(m->loop, m);
        return;
    }
    int64_t id = ev_timer_add(m->loop, LOG_SWITCH_DELAY_MS, on_log_switch, m);
    m->log_switch_timer = id > 0 ? id : 0;
}

void monit_say(struct monit *m, int bad, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->message, sizeof(m->message), fmt, ap);
    va_end(ap);
    m->message_bad = bad;
    m->dirty = 1;
}

void monit_action_text(enum monit_action action, const struct monit_row *row, char *buf, size_t len)
{
    static const char *const verbs[] = {
        [MONIT_NONE] = "",
        [MONIT_RESTART] = "restart",
        [MONIT_RELOAD] = "reload",
        [MONIT_STOP] = "stop",
        [MONIT_START] = "start",
        [MONIT_SCALE_UP] = "scale +1",
        [MONIT_SCALE_DOWN] = "scale -1",
    };
    if (action == MONIT_SCALE_UP || action == MONIT_SCALE_DOWN || !row->grouped)
        snprintf(buf, len, "%s %s%s", verbs[action], row->name,
                 row->id < 0 && action != MONIT_SCALE_UP && action != MONIT_SCALE_DOWN
                     ? " (every instance)"
                     : "");
    else
        snprintf(buf, len, "%s %s #%lld", verbs[action], row->name, (long long)row->id);
}

/* The ids of row's instances that do not run (start acts on those only:
 * PM2's start restarts what runs). Returns their count. */
static size_t stopped_ids(const struct monit *m, const struct monit_row *row, char ids[][24],
                          size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < m->rows.n && n < max; i++) {
        const struct monit_row *r = &m->rows.items[i];
        if (r->id < 0 || strcmp(r->name, row->name) || (row->id >= 0 && r->id != row->id))
            continue;
        if (r->pid == 0 || (r->state >= 0 && status_is_at_rest((enum inst_status)r->state)))
            snprintf(ids[n++], 24, "%lld", (long long)r->id);
    }
    return n;
}

void monit_run(struct monit *m, enum monit_action action, const struct monit_row *row)
{
    static const char *const verbs[] = {
        [MONIT_RESTART] = "restart", [MONIT_RELOAD] = "reload",  [MONIT_STOP] = "stop",
        [MONIT_START] = "start",     [MONIT_SCALE_UP] = "scale", [MONIT_SCALE_DOWN] = "scale",
    };
    char target[ROWS_TARGET_MAX], label[160], ids[START_IDS_MAX][24];
    const char *args[START_IDS_MAX + 4] = {verbs[action]};
    size_t n = 1;
    rows_target(row, target);
    monit_action_text(action, row, label, sizeof(label));
    if (action == MONIT_SCALE_UP || action == MONIT_SCALE_DOWN) {
        args[n++] = row->name;
        args[n++] = action == MONIT_SCALE_UP ? "+1" : "-1";
    } else if (action == MONIT_START) {
        /* ids, never names: the command would take a name that is also a
         * file where it runs for a script to start */
        size_t k = stopped_ids(m, row, ids, START_IDS_MAX);
        if (k == 0) {
            monit_say(m, 0, "%s: it runs already (r restarts it)", label);
            return;
        }
        for (size_t i = 0; i < k; i++)
            args[n++] = ids[i];
    } else {
        args[n++] = target;
    }
    args[n++] = "-s";
    args[n] = NULL;
    int r = jobs_start(&m->jobs, JOB_ACTION, label, args);
    if (r == -EBUSY)
        monit_say(m, 1, "%s: %d commands run already, wait for one to end", label, JOBS_MAX);
    else if (r < 0)
        monit_say(m, 1, "%s: cannot run drover: %s", label, strerror(-r));
    else
        monit_say(m, 0, "%s...", label);
}

void monit_describe(struct monit *m, const char *target)
{
    const char *args[] = {"describe", target, NULL};
    char label[sizeof(m->describe_title)];
    snprintf(label, sizeof(label), "describe %s", target);
    int r = jobs_start(&m->jobs, JOB_DESCRIBE, label, args);
    if (r < 0) {
        monit_say(m, 1, "%s: %s", label,
                  r == -EBUSY ? "too many commands run, wait for one to end" : strerror(-r));
        return;
    }
    free(m->describe_text);
    m->describe_text = NULL;
    snprintf(m->describe_title, sizeof(m->describe_title), "%s", label);
    m->overlay = MONIT_DESCRIBE;
    m->overlay_top = 0;
    m->dirty = 1;
}

/* The line of out that says why a command failed: its first error, else
 * its last line. Writes into buf. */
static void failure_line(const char *out, char *buf, size_t len)
{
    const char *err = strstr(out, "error: ");
    const char *line = err ? err + 7 : NULL;
    if (!line) {
        const char *end = out + strlen(out);
        while (end > out && (end[-1] == '\n' || end[-1] == ' '))
            end--;
        line = end;
        while (line > out && line[-1] != '\n')
            line--;
    }
    size_t n = strcspn(line, "\n");
    snprintf(buf, len, "%.*s", (int)n, n ? line : "no output");
}

void monit_job_done(struct job *job, void *data)
{
    struct monit *m = data;
    const char *out = job->out.buf ? job->out.buf : "";
    int ok = WIFEXITED(job->status) && WEXITSTATUS(job->status) == 0;
    if (job->kind == JOB_DESCRIBE) {
        /* the answer to the describe on screen, not to an earlier one */
        if (m->overlay == MONIT_DESCRIBE && !m->describe_text &&
            !strcmp(job->label, m->describe_title))
            m->describe_text = strdup(*out ? out : "(no output)\n");
        m->dirty = 1;
        return;
    }
    if (ok) {
        monit_say(m, 0, "%s: done", job->label);
    } else {
        char why[400];
        failure_line(out, why, sizeof(why));
        monit_say(m, 1, "%s: %s", job->label, why);
    }
    sampler_poke(m->sampler); /* show what it changed now */
}
