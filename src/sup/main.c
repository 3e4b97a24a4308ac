/* main.c - drover-sup: supervises one app instance.
 *
 * Started by the daemon with: fd 0 /dev/null, fd 1 and 2 the daemon's log,
 * fd 3 a connected socket carrying the spec (proto/spec.h) and then serving as
 * the first control connection, fds 4.. the instance's listening sockets.
 * argv[1] is "<name>:<id>", so `ps` tells supervisors apart; argv[2] is
 * "<home key>.<id>.<gen>", how a new daemon finds us in /proc even when our
 * socket file is gone (daemon/orphans.h). SIGUSR2 binds the socket again. */
#include "base/fdutil.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/timeutil.h"
#include "logs/logger.h"
#include "loop/loop.h"
#include "proto/frame.h"
#include "proto/least_conn.h"
#include "config/listen_addr.h"
#include "sup/app_stdin.h"
#include "sup/broker.h"
#include "sup/node_ipc.h"
#include "sup/notify.h"
#include "sup/pid_file.h"
#include "sup/sup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define SPEC_FD 3
#define FIRST_LISTEN_FD 4

/* PM2's pid file follows the run (pid_file.h). */
static struct pid_file app_pid_file;

static void sync_pid_file(struct sup *s, pid_t pid)
{
    int r = pid_file_sync(&app_pid_file, pid);
    if (r < 0)
        log_warn_errno(r, "%s:%lld: pid file %s", s->spec.name, (long long)s->spec.id,
                       app_pid_file.path);
}

/* least_conn: a run that starts or ends finds its cell at 0 (the run
 * before may have died holding connections it never closed). */
static void sync_lc_cell(struct sup *s, pid_t pid)
{
    if (!s->lc || pid == s->lc_pid)
        return;
    s->lc_pid = pid;
    __atomic_store_n(&s->lc->cells[s->spec.lc_cell], 0, __ATOMIC_RELAXED);
}

static void on_state_change(struct instance *inst, void *data)
{
    sync_pid_file(data, inst->pid);
    sync_lc_cell(data, inst->pid);
    control_broadcast_state(data);
}

static void on_instance_exit(struct instance *inst, void *data)
{
    struct sup *s = data;
    sync_pid_file(s, 0);
    sync_lc_cell(s, 0);
    /* the cgroup and the sockets go before we announce the exit, so a
     * daemon acting on it finds the cgroup base empty and the port free */
    tree_destroy(&inst->tree);
    for (int i = 0; i < s->n_listen_fds; i++)
        close(s->listen_fds[i]);
    s->n_listen_fds = 0;
    broker_close(s);
    control_shutdown(s, "deleted");
}

static void on_ipc_ready(void *data)
{
    struct sup *s = data;
    instance_mark_ready(&s->inst);
}

static void on_ipc_message(void *data, const char *json)
{
    (void)json;
    control_broadcast_state(data);
}

int sup_add_listen_fd(struct sup *s, int fd)
{
    if (s->n_listen_fds >= SUP_MAX_LISTEN_FDS)
        return -E2BIG;
    fd_set_cloexec(fd, 1);
    s->listen_fds[s->n_listen_fds++] = fd;
    /* LISTEN_FDNAMES: the address, as the daemon names pre-bound sockets */
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct listen_addr a;
    char text[96] = "brokered";
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
        listen_addr_from_sockaddr((struct sockaddr *)&ss, len, &a) == 0)
        listen_addr_fdname(&a, text, sizeof(text));
    size_t used = strlen(s->listen_fdnames);
    snprintf(s->listen_fdnames + used, sizeof(s->listen_fdnames) - used, "%s%s", used ? ":" : "",
             text);
    control_broadcast_state(s);
    return 0;
}

void sup_set_listen_fds(struct sup *s, int *fds, unsigned n)
{
    for (int i = 0; i < s->n_listen_fds; i++)
        close(s->listen_fds[i]);
    s->n_listen_fds = 0;
    s->listen_fdnames[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        if (sup_add_listen_fd(s, fds[i]) < 0)
            close(fds[i]);
    if (n == 0)
        control_broadcast_state(s);
}

static void on_sigchld(struct ev_loop *loop, int signo, void *data)
{
    struct sup *s = data;
    (void)loop;
    (void)signo;
    instance_on_sigchld(&s->inst);
}

/* SIGTERM/SIGINT/SIGHUP to the supervisor itself: stop the app gracefully
 * and exit, as `drover delete` would. */
static void on_terminate(struct ev_loop *loop, int signo, void *data)
{
    struct sup *s = data;
    (void)loop;
    log_info("%s:%lld received signal %d: stopping the app and exiting", s->spec.name,
             (long long)s->spec.id, signo);
    instance_delete(&s->inst);
}

/* SIGUSR2: a daemon cannot reach our socket (its file is gone). */
static void on_usr2(struct ev_loop *loop, int signo, void *data)
{
    (void)loop;
    (void)signo;
    control_rebind(data);
}

static void on_usr1(struct ev_loop *loop, int signo, void *data)
{
    struct sup *s = data;
    (void)loop;
    (void)signo;
    logger_reopen(s->logger);
}

/* Directory of our own executable, to find drover-gzip next to us. */
static void helper_path(char *out, size_t len, const char *name)
{
    char self[PATH_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        snprintf(out, len, "%s", name);
        return;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, len, "%s/%s", self, name);
}

static int read_spec(struct sup *s)
{
    char *payload;
    size_t len;
    int r = frame_recv(SPEC_FD, FRAME_MAX_INTERNAL, 10000, &payload, &len, NULL, NULL);
    if (r < 0)
        return log_error_errno(r, "cannot read the instance spec on fd %d", SPEC_FD);
    const char *why;
    r = spec_unpack(payload, len, &s->spec, &why);
    if (r < 0)
        return log_error_errno(r, "bad instance spec (key %s)", why ? why : "?");
    const struct inst_spec *sp = &s->spec;
    s->log = (struct log_config){
        .app_name = sp->name,
        .instance_id = sp->id,
        .out_path = sp->log_out,
        .err_path = sp->log_err,
        .combined_path = sp->log_combined,
        .timestamps = sp->log_time,
        .date_format = sp->log_date_format,
        .format = sp->log_json ? LOG_FORMAT_JSON : LOG_FORMAT_RAW,
        .max_size = sp->log_max_size,
        .retain = (unsigned)sp->log_retain,
        .compress = sp->log_compress,
        .rotate_interval_ms = sp->log_rotate_interval_ms,
    };
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static struct sup s;
    char gzip_path[PATH_MAX];

    log_setup("drover-sup", 1);
    s.ctl_listen_fd = -1;
    if (read_spec(&s) < 0)
        return 1;

    /* our own session: a signal to the daemon's group is not for us, and
     * we outlive the daemon. Orphans of the app come to us, not to init. */
    setsid();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    signal(SIGPIPE, SIG_IGN);

    s.n_listen_fds = s.spec.n_listen_fds;
    for (int i = 0; i < s.n_listen_fds; i++) {
        s.listen_fds[i] = FIRST_LISTEN_FD + i;
        fd_set_cloexec(s.listen_fds[i], 1);
    }
    s.lc_fd = -1;
    if (s.spec.lc_fd > 0) {
        fd_set_cloexec(s.spec.lc_fd, 1);
        int lr = lc_counts_map(s.spec.lc_fd, &s.lc);
        if (lr == 0)
            s.lc_fd = s.spec.lc_fd;
        else {
            log_warn_errno(lr, "%s: no least_conn counts", s.spec.name);
            close(s.spec.lc_fd);
        }
    }
    if (s.spec.listen_fdnames)
        snprintf(s.listen_fdnames, sizeof(s.listen_fdnames), "%s", s.spec.listen_fdnames);

    s.loop = ev_loop_new();
    if (!s.loop)
        return log_error_errno(neg_errno(), "cannot create the event loop"), 1;

    helper_path(gzip_path, sizeof(gzip_path), "drover-gzip");
    s.log.compress_helper = gzip_path;
    s.logger = logger_new(s.loop, &s.log);
    if (!s.logger)
        return log_error_errno(neg_errno(), "%s:%lld: cannot open log files", s.spec.name,
                               (long long)s.spec.id),
               1;
    int outp[2], errp[2];
    if (pipe_cloexec(outp, 0, 0) < 0 || pipe_cloexec(errp, 0, 0) < 0)
        return log_error_errno(neg_errno(), "cannot create pipes"), 1;
    logger_watch(s.logger, outp[0], errp[0]);
    int stdin_r = app_stdin_open(&s.app_in, s.loop);
    if (stdin_r < 0)
        return log_error_errno(stdin_r, "cannot create the stdin pipe"), 1;

    instance_init(&s.inst, s.loop, &s.spec, NULL, s.logger, outp[1], errp[1]);
    int r;
    s.inst.app_in = &s.app_in;
    s.inst.listen_fds = s.listen_fds;
    s.inst.n_listen_fds = &s.n_listen_fds;
    s.inst.listen_fdnames = s.listen_fdnames;
    s.inst.drain = &s.drain;
    s.notify_fd = s.broker_fd = s.conn_stats_fd = -1;
    if ((r = notify_open(&s)) < 0)
        log_warn_errno(r, "no NOTIFY_SOCKET for the app");
    else
        s.inst.notify_name = s.notify_name;
    if (s.spec.preload) {
        if ((r = broker_open(&s)) < 0)
            return log_error_errno(r, "cannot open the socket broker"), 1;
        s.inst.broker_name = s.broker_name;
    }
    if (s.spec.node_ipc) {
        static const struct node_ipc_handlers ipc_handlers = {on_ipc_ready, on_ipc_message};
        s.ipc = node_ipc_new(s.loop, &ipc_handlers, &s);
        s.inst.ipc = s.ipc;
    }
    app_pid_file.path = s.spec.pid_file;
    s.inst.on_change = on_state_change;
    s.inst.on_exit = on_instance_exit;
    s.inst.cb_data = &s;

    if ((r = ev_signal_add(s.loop, SIGCHLD, on_sigchld, &s)) < 0 ||
        (r = ev_signal_add(s.loop, SIGTERM, on_terminate, &s)) < 0 ||
        (r = ev_signal_add(s.loop, SIGINT, on_terminate, &s)) < 0 ||
        (r = ev_signal_add(s.loop, SIGHUP, on_terminate, &s)) < 0 ||
        (r = ev_signal_add(s.loop, SIGUSR1, on_usr1, &s)) < 0 ||
        (r = ev_signal_add(s.loop, SIGUSR2, on_usr2, &s)) < 0)
        return log_error_errno(r, "cannot set up signals"), 1;
    if ((r = control_listen(&s)) < 0)
        return log_error_errno(r, "cannot listen on %s", s.spec.sock_path), 1;
    if ((r = control_serve_fd(&s, SPEC_FD)) < 0)
        return log_error_errno(r, "cannot serve the daemon link"), 1;

    if (s.spec.start_now)
        instance_start(&s.inst);
    else
        control_broadcast_state(&s);

    r = ev_loop_run(s.loop);
    broker_close(&s);
    notify_close(&s);
    node_ipc_free(s.ipc);
    logger_free(s.logger);
    app_stdin_close(&s.app_in);
    tree_destroy(&s.inst.tree);
    spec_free(&s.spec);
    return r < 0 ? 1 : 0;
}
