/* cmd_monit.c - `drover monit` (also `imonit`): the full-screen terminal
 * monitor (cli/monit/monit.h has its parts).
 *
 * One event loop, nothing blocks on it: keys from stdin, a list request to
 * the daemon every second on a kept connection (sampler.h), inotify on the
 * selected row's log directories (read at most five times a second,
 * whatever an app writes), the actions as child drover commands (jobs.h),
 * and SIGINT, SIGTERM, SIGHUP and SIGWINCH through a signalfd. The screen
 * is drawn once per loop iteration when something changed. q, ^C and a
 * hung-up terminal give the terminal back as it was. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/monit/keys.h"
#include "cli/monit/monit.h"
#include "cli/monit/sampler.h"
#include "cli/monit/view.h"
#include "loop/loop.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LOG_READ_PAUSE_MS 200 /* inotify wakes the log pane at most this often */

/* Keeps a selection after the rows changed: the same row, else its app,
 * else the row now at the visible position old_pos. */
static void keep_selection(struct monit *m, size_t old_pos)
{
    long sel = monit_selected(m);
    if (sel >= 0 && !rows_visible(&m->rows, (size_t)sel))
        sel = rows_find(&m->rows, m->sel_name, -1); /* folded: its header */
    for (size_t i = 0; sel < 0 && i < m->rows.n; i++)
        if (!strcmp(m->rows.items[i].name, m->sel_name))
            sel = (long)i;
    if (sel < 0) {
        size_t *vis;
        size_t n = monit_visible(m, &vis);
        if (n > 0)
            sel = (long)vis[MIN(old_pos, n - 1)];
        free(vis);
    }
    if (sel >= 0)
        monit_select(m, (size_t)sel); /* also when its target changed (a scale) */
}

static size_t selected_position(const struct monit *m)
{
    size_t *vis;
    size_t n = monit_visible(m, &vis), pos = 0;
    long sel = monit_selected(m);
    for (size_t i = 0; i < n; i++)
        if ((long)vis[i] == sel)
            pos = i;
    free(vis);
    return pos;
}

static void on_sample(json_t *processes, void *data)
{
    struct monit *m = data;
    m->dirty = 1;
    if (!processes)
        return; /* the sampler's problem changed: the status line shows it */
    size_t pos = selected_position(m);
    if (rows_update(&m->rows, processes, m->seq) == 0)
        m->seq++;
    keep_selection(m, pos);
    if (log_tail_update(&m->logs))
        m->dirty = 1;
}

static void on_log_timer(struct ev_loop *loop, void *data)
{
    struct monit *m = data;
    m->log_read_timer = 0;
    if (log_tail_update(&m->logs))
        m->dirty = 1;
    ev_io_mod(loop, log_tail_fd(&m->logs), EV_READ);
}

/* inotify says a log directory changed: read a little later, so that an
 * app writing all the time wakes us LOG_READ_PAUSE_MS apart at most. */
static void on_log_event(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct monit *m = data;
    (void)events;
    ev_io_mod(loop, fd, 0);
    if (!m->log_read_timer) {
        int64_t id = ev_timer_add(loop, LOG_READ_PAUSE_MS, on_log_timer, m);
        m->log_read_timer = id > 0 ? id : 0;
    }
}

static void on_input(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct monit *m = data;
    int key, got = 0, avail = 0;
    while (!m->quit && (key = view_key()) >= 0) {
        got = 1;
        if (key == KEY_RESIZE)
            view_resize(m);
        else
            keys_handle(m, key);
    }
    /* readable with nothing in it: the terminal is gone */
    if ((events & EV_ERROR) || (!got && ioctl(fd, FIONREAD, &avail) == 0 && avail == 0))
        m->quit = 1;
    if (m->quit)
        ev_loop_stop(loop);
}

static void on_quit_signal(struct ev_loop *loop, int signo, void *data)
{
    struct monit *m = data;
    (void)signo;
    m->quit = 1;
    ev_loop_stop(loop);
}

static void on_winch(struct ev_loop *loop, int signo, void *data)
{
    (void)loop;
    (void)signo;
    view_resize(data);
}

static void before_sleep(struct ev_loop *loop, void *data)
{
    struct monit *m = data;
    (void)loop;
    if (m->dirty && !m->quit)
        view_draw(m);
}

/* Signals, the sampler, the jobs, the log pane and stdin on the loop.
 * Returns 0 or a negative errno. */
static int wire(struct monit *m)
{
    static const int quit_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    int r = 0;
    for (size_t i = 0; i < ARRAY_SIZE(quit_signals) && r == 0; i++)
        r = ev_signal_add(m->loop, quit_signals[i], on_quit_signal, m);
    if (r == 0)
        r = ev_signal_add(m->loop, SIGWINCH, on_winch, m);
    if (r == 0)
        r = jobs_init(&m->jobs, m->loop, m->cli->exe_dir, monit_job_done, m);
    if (r == 0 && !(m->sampler = sampler_new(m->loop, m->cli->paths.daemon_sock, on_sample, m)))
        r = -ENOMEM;
    if (r == 0)
        r = ev_io_add(m->loop, STDIN_FILENO, EV_READ, on_input, m);
    if (r == 0 && log_tail_fd(&m->logs) >= 0)
        r = ev_io_add(m->loop, log_tail_fd(&m->logs), EV_READ, on_log_event, m);
    ev_loop_set_before_sleep(m->loop, before_sleep, m);
    return r;
}

static void unwire(struct monit *m)
{
    sampler_free(m->sampler);
    jobs_free(&m->jobs);
    if (log_tail_fd(&m->logs) >= 0)
        ev_io_del(m->loop, log_tail_fd(&m->logs));
    log_tail_close(&m->logs);
    rows_free(&m->rows);
    free(m->describe_text);
    ev_loop_free(m->loop);
}

int cmd_monit(struct cli *c)
{
    static struct monit m;
    if (c->argc > 0)
        return cli_usage("%s takes no argument (press ? in it for the keys)", c->verb);
    if (c->json)
        return cli_usage("%s has no JSON form: drover jlist is the list as JSON", c->verb);
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
        return cli_error("%s needs a terminal and %s is not one: drover ls, jlist and logs work "
                         "without",
                         c->verb, isatty(STDOUT_FILENO) ? "stdin" : "stdout");
    /* the first list starts the daemon when none runs, as every command */
    json_t *reply = client_call(c, json_pack("{s:s, s:b}", "cmd", "list", "brief", 1));
    if (!reply)
        return 1;
    setlocale(LC_CTYPE, "");
    m.cli = c;
    m.color = c->color;
    m.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
    m.loop = ev_loop_new();
    int r = m.loop ? log_tail_init(&m.logs, c->paths.home) : -ENOMEM;
    if (r == 0)
        r = rows_update(&m.rows, json_object_get(reply, "processes"), m.seq++);
    json_decref(reply);
    signal(SIGPIPE, SIG_IGN);
    if (r == 0)
        r = wire(&m);
    if (r < 0) {
        if (m.loop)
            unwire(&m);
        return cli_error("%s cannot start: %s", c->verb, strerror(-r));
    }
    if (view_start(&m) < 0) {
        unwire(&m);
        const char *term = getenv("TERM");
        return cli_error("%s cannot drive this terminal (TERM=%s)", c->verb, term ? term : "");
    }
    keep_selection(&m, 0);
    view_draw(&m);
    r = ev_loop_run(m.loop);
    view_end();
    unwire(&m);
    if (r < 0)
        return cli_error("%s stopped: %s", c->verb, strerror(-r));
    return 0;
}
