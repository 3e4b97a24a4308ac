/* main.c - droverd, the controller daemon.
 *
 *   droverd [--foreground] [--resurrect]
 *
 * Normally started by the CLI on first use. Holds a lock on
 * <home>/daemon.lock (one daemon per home), re-adopts running supervisors,
 * then serves CLI requests on <run>/daemon.sock. When started with
 * DROVER_READY_FD set, writes "ready\n" to that fd once it accepts
 * connections, so the starting CLI waits for an event, not a timeout.
 *
 * --resurrect (boot units, `drover startup`): when adoption found nothing,
 * start the apps saved in dump.json. Under systemd (NOTIFY_SOCKET set) the
 * daemon sends READY=1 once it serves and the resurrected apps settled, and
 * STOPPING=1 when it begins to shut down. */
#include "base/cgroupfs.h"
#include "base/fdutil.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/parse.h"
#include "base/timeutil.h"
#include "daemon/instances/adopt.h"
#include "daemon/cmd/commands.h"
#include "daemon/daemon.h"
#include "daemon/http/http.h"
#include "daemon/cmd/dump.h"
#include "daemon/ops/ops.h"
#include "daemon/state/persist.h"
#include "daemon/state/registry.h"
#include "daemon/sdnotify.h"
#include "daemon/server.h"
#include "daemon/state/stats.h"
#include "daemon/instances/suplink.h"
#include "daemon/triggers/triggers.h"
#include "loop/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct daemon D;

void daemon_instances_changed(struct daemon *d)
{
    ops_poll(d);
}

static void on_sigchld(struct ev_loop *loop, int signo, void *data)
{
    (void)loop;
    (void)signo;
    (void)data;
    /* supervisors we spawned: their loss is noticed on their links */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

/* Once per loop turn, before waiting: state.json, then the replies, then
 * the sample a stale view asked for. */
static void before_sleep(struct ev_loop *loop, void *data)
{
    (void)loop;
    server_before_sleep(data);
    stats_before_sleep(data);
}

/* Tells the service manager (once) that the daemon is going away. */
static void notify_stopping(void)
{
    static int sent;
    if (!sent)
        sdnotify_send("STOPPING=1");
    sent = 1;
}

/* SIGTERM/SIGINT: like `drover kill`, stop every app and exit. */
static void on_terminate(struct ev_loop *loop, int signo, void *data)
{
    struct daemon *d = data;
    (void)loop;
    if (d->shutting_down)
        return;
    notify_stopping();
    log_info("signal %d: stopping every app and exiting", signo);
    json_t *req = json_object();
    cmd_kill(d, NULL, req);
    json_decref(req);
}

static void on_usr1(struct ev_loop *loop, int signo, void *data)
{
    struct daemon *d = data;
    (void)loop;
    (void)signo;
    for (size_t i = 0; i < d->reg.n_insts; i++)
        if (d->reg.insts[i]->link)
            suplink_request(d->reg.insts[i]->link, "reopen_logs", NULL, NULL, NULL, NULL);
}

/* A cgroup v2 directory under our own cgroup in which supervisors create
 * one cgroup per instance, if we may create one there. */
static void setup_cgroup_base(struct daemon *d)
{
    char mnt[1024], self[2048], base[4096], probe[4200];
    d->cgroup_base[0] = '\0';
    if (getenv("DROVER_NO_CGROUP") || cgroupfs_mount(mnt, sizeof(mnt)) < 0 ||
        cgroupfs_self_path(self, sizeof(self)) < 0)
        return;
    snprintf(base, sizeof(base), "%s%s/drover-%s", mnt, strcmp(self, "/") ? self : "", d->home_key);
    if (mkdir(base, 0755) < 0 && errno != EEXIST)
        return;
    snprintf(probe, sizeof(probe), "%s/probe.%d", base, (int)getpid());
    if (mkdir(probe, 0755) < 0)
        return;
    char procs[4300];
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", probe);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
    rmdir(probe);
    if (fd < 0 || strlen(base) >= sizeof(d->cgroup_base))
        return;
    snprintf(d->cgroup_base, sizeof(d->cgroup_base), "%s", base);
}

/* Every supervisor link and CLI connection is an fd: take the whole hard
 * limit, not the 1,024 a login shell hands down. */
static void raise_fd_limit(struct daemon *d)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        d->nofile_soft = rl.rlim_cur;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            log_warn_errno(neg_errno(), "cannot raise the open file limit");
    }
}

static int take_lock(struct daemon *d)
{
    char path[PATH_MAX];
    path_join(path, d->paths.home, "daemon.lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return neg_errno();
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int r = neg_errno();
        close(fd);
        return r == -EWOULDBLOCK ? -EBUSY : r;
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) == 0)
        (void)!pwrite(fd, pid, (size_t)n, 0);
    d->lock_fd = fd;
    return 0;
}

static void find_exe_dir(struct daemon *d)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        snprintf(d->exe_dir, sizeof(d->exe_dir), ".");
        return;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(d->exe_dir, sizeof(d->exe_dir), "%s", self);
}

static void signal_ready(void)
{
    const char *fd_text = getenv("DROVER_READY_FD");
    int64_t fd;
    if (!fd_text || parse_int64(fd_text, 3, 1024, &fd) < 0)
        return;
    (void)!write((int)fd, "ready\n", 6);
    close((int)fd);
    unsetenv("DROVER_READY_FD");
}

/* The daemon serves and the apps it resurrected settled (op may be NULL). */
static void on_boot_settled(struct daemon *d, struct op *op)
{
    char state[128];
    snprintf(state, sizeof(state), "READY=1\nSTATUS=serving %zu app(s)%s", d->reg.n_apps,
             op && op_failed(op) ? " (some did not settle)" : "");
    int r = sdnotify_send(state);
    if (r < 0)
        log_warn_errno(r, "cannot notify the service manager");
}

static void on_serve_timer(struct ev_loop *loop, void *data)
{
    (void)loop;
    daemon_adoption_settled(data);
}

void daemon_adoption_settled(struct daemon *d)
{
    if (d->serving)
        return;
    d->serving = 1;
    int r = server_listen(d);
    if (r < 0) {
        log_error_errno(r, "cannot listen on %s", d->paths.daemon_sock);
        d->serve_error = r;
        ev_loop_stop(d->loop);
        return;
    }
    log_info("drover %s daemon %d ready (home %s, cgroups %s)", DROVER_VERSION, (int)getpid(),
             d->paths.home, d->cgroup_base[0] ? d->cgroup_base : "off");
    http_start_from_env(d);
    signal_ready();
    if (d->resurrect_at_boot && d->reg.n_apps == 0)
        dump_resurrect_at_boot(d, on_boot_settled);
    else
        on_boot_settled(d, NULL);
}

int main(int argc, char **argv)
{
    struct daemon *d = &D;
    int foreground = 0, resurrect = 0;
    int r;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--foreground"))
            foreground = 1;
        else if (!strcmp(argv[i], "--resurrect"))
            resurrect = 1;
        else {
            fprintf(stderr, "usage: droverd [--foreground] [--resurrect]\n");
            return 2;
        }
    }
    sdnotify_init();

    log_setup("droverd", 1);
    d->lock_fd = d->log_fd = d->listen_fd = -1;
    d->started_at = wall_ms();
    if ((r = paths_resolve(&d->paths)) < 0 || (r = paths_ensure(&d->paths)) < 0)
        return log_error_errno(r, "cannot prepare the drover home"), 1;
    paths_home_key(&d->paths, d->home_key);

    char logpath[PATH_MAX];
    path_join(logpath, d->paths.home, "daemon.log");
    d->log_fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (d->log_fd < 0)
        return log_error_errno(neg_errno(), "cannot open %s", logpath), 1;
    if (!foreground) {
        dup2(d->log_fd, STDOUT_FILENO);
        dup2(d->log_fd, STDERR_FILENO);
    }
    r = take_lock(d);
    if (r == -EBUSY) {
        log_info("another daemon already serves %s", d->paths.home);
        return 0;
    }
    if (r < 0)
        return log_error_errno(r, "cannot take the daemon lock"), 1;

    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(d);
    find_exe_dir(d);
    setup_cgroup_base(d);
    d->loop = ev_loop_new();
    if (!d->loop)
        return log_error_errno(neg_errno(), "cannot create the event loop"), 1;
    if ((r = ev_signal_add(d->loop, SIGCHLD, on_sigchld, d)) < 0 ||
        (r = ev_signal_add(d->loop, SIGTERM, on_terminate, d)) < 0 ||
        (r = ev_signal_add(d->loop, SIGINT, on_terminate, d)) < 0 ||
        (r = ev_signal_add(d->loop, SIGUSR1, on_usr1, d)) < 0)
        return log_error_errno(r, "cannot set up signals"), 1;
    signal(SIGHUP, SIG_IGN);

    ev_loop_set_before_sleep(d->loop, before_sleep, d);
    if ((r = triggers_init(d)) < 0)
        return log_error_errno(r, "cannot set up restart triggers"), 1;
    d->resurrect_at_boot = resurrect;
    adopt_all(d);
    /* serve once every supervisor found answered (a CLI then sees them as
     * they are), or after ADOPT_SERVE_WAIT_MS when some do not */
    if (!d->adoptees)
        daemon_adoption_settled(d);
    else if (ev_timer_add(d->loop, ADOPT_SERVE_WAIT_MS, on_serve_timer, d) < 0)
        daemon_adoption_settled(d);

    r = d->serve_error ? d->serve_error : ev_loop_run(d->loop);
    notify_stopping();
    d->exiting = 1;
    server_close(d);
    http_stop(d);
    unlink(d->paths.daemon_sock);
    ops_free_all(d);
    adopt_free_all(d);
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        suplink_detach(d->reg.insts[i]->link);
        suplink_detach(d->reg.insts[i]->next_link);
    }
    if (!d->keep_apps_on_exit) {
        daemon_persist(d);
        daemon_persist_flush(d);
        if (d->cgroup_base[0])
            rmdir(d->cgroup_base);
    }
    log_info("daemon %d exiting%s", (int)getpid(),
             d->keep_apps_on_exit ? " (apps keep running)" : "");
    triggers_free(d);
    registry_free(&d->reg);
    ev_loop_free(d->loop);
    return r < 0 ? 1 : 0;
}
