/* instance.c - the state machine of one app instance. */
#include "sup/instance.h"
#include "base/log.h"
#include "base/pidfd.h"
#include "base/procfs.h"
#include "base/timeutil.h"
#include "logs/logger.h"
#include "loop/loop.h"
#include "spawn/spawn.h"
#include "sup/app_env.h"
#include "sup/node_ipc.h"
#include "sup/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RECHECK_MS 200

static void begin_stop(struct instance *inst, enum after_stop after);

/* The app's tree, with the log compressor (our own helper) kept out. */
static struct proc_tree *app_tree(struct instance *inst)
{
    tree_set_helper(&inst->tree, logger_helper_pid(inst->logger));
    return &inst->tree;
}
static void spawn_app(struct instance *inst);

const char *instance_status_name(enum inst_status s)
{
    switch (s) {
    case ST_STOPPED:
        return "stopped";
    case ST_LAUNCHING:
        return "launching";
    case ST_ONLINE:
        return "online";
    case ST_STOPPING:
    case ST_CLEANING:
        return "stopping";
    case ST_WAITING:
        return "waiting restart";
    case ST_ERRORED:
        return "errored";
    }
    return "unknown";
}

static void changed(struct instance *inst)
{
    if (inst->on_change)
        inst->on_change(inst, inst->cb_data);
}

static void set_status(struct instance *inst, enum inst_status s)
{
    inst->status = s;
    changed(inst);
}

static void cancel_timers(struct instance *inst)
{
    ev_timer_cancel(inst->loop, inst->kill_timer);
    ev_timer_cancel(inst->loop, inst->restart_timer);
    ev_timer_cancel(inst->loop, inst->recheck_timer);
    ev_timer_cancel(inst->loop, inst->ready_timer);
    inst->kill_timer = inst->restart_timer = inst->recheck_timer = inst->ready_timer = 0;
}

void instance_init(struct instance *inst, struct ev_loop *loop, const struct sup_spec *spec,
                   struct logger *logger, int out_w, int err_w)
{
    memset(inst, 0, sizeof(*inst));
    inst->loop = loop;
    inst->spec = spec;
    inst->logger = logger;
    inst->out_w = out_w;
    inst->err_w = err_w;
    inst->pidfd = -1;
    inst->status = ST_STOPPED;
    inst->exit_code = -1;
    inst->counters.restarts = spec->restarts;
    tree_init(&inst->tree, spec->cgroup);
}

static void forget_process(struct instance *inst)
{
    if (inst->ipc)
        node_ipc_close(inst->ipc);
    if (inst->pidfd >= 0)
        close(inst->pidfd);
    inst->pidfd = -1;
    inst->pid = 0;
    inst->pid_start_time = 0;
    inst->ready = 0;
}

/* --- after the process is gone ----------------------------------------- */

static void on_restart_timer(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->restart_timer = 0;
    if (inst->status == ST_WAITING)
        spawn_app(inst);
}

/* The run ended without anyone asking: apply the restart policy. */
static void decide_after_crash(struct instance *inst)
{
    struct restart_policy p = {
        .autorestart = inst->spec->autorestart,
        .min_uptime_ms = inst->spec->min_uptime_ms,
        .max_restarts = inst->spec->max_restarts,
        .restart_delay_ms = inst->spec->restart_delay_ms,
        .exp_backoff_ms = inst->spec->exp_backoff_ms,
        .stop_exit_codes = inst->spec->stop_exit_codes,
        .n_stop_exit_codes = inst->spec->n_stop_exit_codes,
    };
    struct restart_decision d;
    int64_t uptime = mono_ms() - inst->started_mono;
    policy_decide(&p, &inst->counters, inst->exit_code, inst->exit_signal, uptime, &d);
    snprintf(inst->reason, sizeof(inst->reason), "%s", d.reason);
    switch (d.action) {
    case RESTART_AFTER_DELAY:
        inst->restart_timer = ev_timer_add(inst->loop, d.delay_ms, on_restart_timer, inst);
        set_status(inst, ST_WAITING);
        break;
    case RESTART_NO_STOPPED:
        set_status(inst, ST_STOPPED);
        break;
    case RESTART_NO_ERRORED:
        set_status(inst, ST_ERRORED);
        break;
    }
}

/* Called whenever the tree may have become empty after the main exit. */
static void check_tree_done(struct instance *inst)
{
    if (inst->pid != 0 || (inst->status != ST_STOPPING && inst->status != ST_CLEANING))
        return;
    if (tree_count(app_tree(inst)) > 0)
        return;
    cancel_timers(inst);
    inst->killed = 0;
    if (inst->status == ST_CLEANING) {
        decide_after_crash(inst);
        return;
    }
    switch (inst->after) {
    case AFTER_STOPPED:
        set_status(inst, ST_STOPPED);
        break;
    case AFTER_RESTART:
        spawn_app(inst);
        break;
    case AFTER_EXIT:
        inst->status = ST_STOPPED;
        if (inst->on_exit)
            inst->on_exit(inst, inst->cb_data);
        break;
    case AFTER_ERRORED:
        set_status(inst, ST_ERRORED);
        break;
    }
}

static void on_recheck(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->recheck_timer = 0;
    if (inst->status != ST_STOPPING && inst->status != ST_CLEANING)
        return;
    if (inst->killed)
        tree_kill(app_tree(inst)); /* anything forked since the last kill */
    check_tree_done(inst);
    if ((inst->status == ST_STOPPING || inst->status == ST_CLEANING) && !inst->recheck_timer)
        inst->recheck_timer = ev_timer_add(inst->loop, RECHECK_MS, on_recheck, inst);
}

static void on_kill_timer(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->kill_timer = 0;
    if (inst->status != ST_STOPPING && inst->status != ST_CLEANING)
        return;
    size_t n = tree_kill(app_tree(inst));
    inst->killed = 1;
    if (n > 0) {
        char line[160];
        snprintf(line, sizeof(line),
                 "drover: %zu process(es) still running after kill_timeout (%lld ms): sent "
                 "SIGKILL",
                 n, (long long)inst->spec->kill_timeout_ms);
        logger_note(inst->logger, LOG_STREAM_ERR, line);
    }
}

/* Asks the tree to stop (kill_signal to every process, or 'shutdown' over
 * Node's IPC channel) and arms the kill timer. */
static void signal_tree_and_arm(struct instance *inst)
{
    inst->killed = 0;
    if (!(inst->spec->shutdown_with_message && inst->pid && inst->ipc &&
          node_ipc_send(inst->ipc, "\"shutdown\"") == 0))
        tree_signal(app_tree(inst), inst->spec->kill_signal);
    ev_timer_cancel(inst->loop, inst->kill_timer);
    inst->kill_timer = ev_timer_add(inst->loop, inst->spec->kill_timeout_ms, on_kill_timer, inst);
    ev_timer_cancel(inst->loop, inst->recheck_timer);
    inst->recheck_timer = ev_timer_add(inst->loop, RECHECK_MS, on_recheck, inst);
}

static void begin_stop(struct instance *inst, enum after_stop after)
{
    inst->after = after;
    ev_timer_cancel(inst->loop, inst->restart_timer);
    inst->restart_timer = 0;
    set_status(inst, ST_STOPPING);
    signal_tree_and_arm(inst);
    check_tree_done(inst);
}

/* --- starting ----------------------------------------------------------- */

static void on_ready_timeout(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->ready_timer = 0;
    if (inst->status != ST_LAUNCHING)
        return;
    snprintf(inst->reason, sizeof(inst->reason),
             "not ready within listen_timeout (%lld ms): no listen() on a shared socket, "
             "READY=1 or process.send('ready')",
             (long long)inst->spec->listen_timeout_ms);
    char line[320];
    snprintf(line, sizeof(line), "drover: %s", inst->reason);
    logger_note(inst->logger, LOG_STREAM_ERR, line);
    begin_stop(inst, AFTER_ERRORED);
}

static void spawn_app(struct instance *inst)
{
    const struct sup_spec *s = inst->spec;
    tree_prepare_run(&inst->tree);
    struct spawn_fd fds[3 + 16 + 1];
    size_t n = 0;
    int n_listen = inst->n_listen_fds ? *inst->n_listen_fds : 0;
    fds[n++] = (struct spawn_fd){-1, 0};
    fds[n++] = (struct spawn_fd){inst->out_w, 1};
    fds[n++] = (struct spawn_fd){inst->err_w, 2};
    for (int i = 0; i < n_listen && i < 16; i++)
        fds[n++] = (struct spawn_fd){inst->listen_fds[i], 3 + i};
    int ipc_child = -1;
    if (inst->ipc) {
        ipc_child = node_ipc_open(inst->ipc);
        if (ipc_child >= 0)
            fds[n++] = (struct spawn_fd){ipc_child, 3 + n_listen};
    }
    struct app_env_extras x = {
        .n_listen_fds = n_listen,
        .listen_fdnames =
            inst->listen_fdnames && *inst->listen_fdnames ? inst->listen_fdnames : NULL,
        .notify_socket = inst->notify_name,
        .broker = s->preload ? inst->broker_name : NULL,
        .preload = s->preload,
        .node_channel_fd = ipc_child >= 0 ? 3 + n_listen : -1,
    };
    char *listen_pid_slot = NULL;
    char **envp = app_env_build(s->envp, &x, &listen_pid_slot);
    if (!envp) {
        if (ipc_child >= 0)
            close(ipc_child);
        snprintf(inst->reason, sizeof(inst->reason), "start failed: out of memory");
        set_status(inst, ST_ERRORED);
        return;
    }

    struct spawn_opts o = {
        .file = s->file,
        .argv = s->argv,
        .envp = envp,
        .listen_pid_env = listen_pid_slot,
        .cwd = s->cwd,
        .fds = fds,
        .n_fds = n,
        .new_session = 1,
        .into_cgroup = inst->tree.cgroup_dirfd >= 0,
        .cgroup_dir_fd = inst->tree.cgroup_dirfd,
        .set_ids = s->set_ids,
        .uid = s->uid,
        .gid = s->gid,
        .user = s->user,
    };
    cancel_timers(inst);
    inst->exit_code = -1;
    inst->exit_signal = 0;
    pid_t pid;
    const char *step;
    int r = spawn_process(&o, &pid, &step);
    free(envp);
    if (ipc_child >= 0)
        close(ipc_child);
    if (r < 0) {
        if (inst->ipc)
            node_ipc_close(inst->ipc);
        if (strcmp(step, "exec") == 0)
            snprintf(inst->reason, sizeof(inst->reason), "exec failed: %s: %s (exit %d)", s->file,
                     strerror(-r), spawn_exec_exit_code(r));
        else
            snprintf(inst->reason, sizeof(inst->reason), "start failed at %s: %s", step,
                     strerror(-r));
        char line[320];
        snprintf(line, sizeof(line), "drover: %s", inst->reason);
        logger_note(inst->logger, LOG_STREAM_ERR, line);
        inst->exit_code = spawn_exec_exit_code(r);
        inst->last_exit_at = wall_ms();
        set_status(inst, ST_ERRORED);
        return;
    }
    inst->pid = pid;
    inst->pidfd = pidfd_open_cloexec(pid);
    struct proc_stat st;
    inst->pid_start_time = proc_read_stat(pid, &st) == 0 ? st.start_time : 0;
    inst->started_at = wall_ms();
    inst->started_mono = mono_ms();
    inst->ready = 0;
    inst->reason[0] = '\0';
    if (s->readiness == READY_SPAWN) {
        inst->ready = 1;
        set_status(inst, ST_ONLINE);
        return;
    }
    inst->ready_timer = ev_timer_add(inst->loop, s->listen_timeout_ms, on_ready_timeout, inst);
    set_status(inst, ST_LAUNCHING);
}

int instance_start(struct instance *inst)
{
    switch (inst->status) {
    case ST_STOPPED:
    case ST_ERRORED:
        inst->counters.unstable_restarts = 0;
        inst->counters.backoff_ms = 0;
        spawn_app(inst);
        return 0;
    case ST_WAITING:
        spawn_app(inst);
        return 0;
    case ST_STOPPING:
        if (inst->after == AFTER_STOPPED) {
            inst->after = AFTER_RESTART;
            return 0;
        }
        return -EALREADY;
    default:
        return -EALREADY;
    }
}

int instance_stop(struct instance *inst)
{
    switch (inst->status) {
    case ST_LAUNCHING:
    case ST_ONLINE:
        begin_stop(inst, AFTER_STOPPED);
        return 0;
    case ST_STOPPING:
        if (inst->after == AFTER_EXIT)
            return -EALREADY;
        inst->after = AFTER_STOPPED;
        return 0;
    case ST_CLEANING:
        /* finish cleaning, then stay stopped instead of asking the policy */
        inst->status = ST_STOPPING;
        inst->after = AFTER_STOPPED;
        changed(inst);
        check_tree_done(inst);
        return 0;
    case ST_WAITING:
    case ST_ERRORED:
        cancel_timers(inst);
        set_status(inst, ST_STOPPED);
        return 0;
    case ST_STOPPED:
        return -EALREADY;
    }
    return -EALREADY;
}

int instance_restart(struct instance *inst)
{
    inst->counters.restarts++;
    inst->counters.unstable_restarts = 0;
    inst->counters.backoff_ms = 0;
    switch (inst->status) {
    case ST_LAUNCHING:
    case ST_ONLINE:
        begin_stop(inst, AFTER_RESTART);
        return 0;
    case ST_STOPPING:
    case ST_CLEANING:
        inst->status = ST_STOPPING;
        inst->after = AFTER_RESTART;
        changed(inst);
        check_tree_done(inst);
        return 0;
    default:
        spawn_app(inst);
        return 0;
    }
}

int instance_delete(struct instance *inst)
{
    switch (inst->status) {
    case ST_LAUNCHING:
    case ST_ONLINE:
        begin_stop(inst, AFTER_EXIT);
        return 0;
    case ST_STOPPING:
    case ST_CLEANING:
        inst->status = ST_STOPPING;
        inst->after = AFTER_EXIT;
        changed(inst);
        check_tree_done(inst);
        return 0;
    default:
        cancel_timers(inst);
        /* leftovers of an earlier run must not outlive the instance */
        if (tree_count(app_tree(inst)) > 0) {
            inst->after = AFTER_EXIT;
            set_status(inst, ST_STOPPING);
            signal_tree_and_arm(inst);
            return 0;
        }
        if (inst->on_exit)
            inst->on_exit(inst, inst->cb_data);
        return 0;
    }
}

int instance_signal(struct instance *inst, int sig)
{
    if (inst->pidfd < 0)
        return -ESRCH;
    return pidfd_signal(inst->pidfd, sig);
}

void instance_reset_counters(struct instance *inst)
{
    inst->counters.restarts = 0;
    inst->counters.unstable_restarts = 0;
    inst->counters.backoff_ms = 0;
    changed(inst);
}

void instance_mark_ready(struct instance *inst)
{
    if (inst->ready || !inst->pid)
        return;
    inst->ready = 1;
    ev_timer_cancel(inst->loop, inst->ready_timer);
    inst->ready_timer = 0;
    if (inst->status == ST_LAUNCHING)
        set_status(inst, ST_ONLINE);
    else
        changed(inst);
}

/* --- exits -------------------------------------------------------------- */

static void on_main_exit(struct instance *inst, int wstatus)
{
    inst->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    inst->exit_signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
    inst->last_exit_at = wall_ms();
    forget_process(inst);
    /* the last lines the app wrote land before anyone hears of the exit */
    logger_drain(inst->logger);

    switch (inst->status) {
    case ST_STOPPING:
        check_tree_done(inst);
        break;
    case ST_LAUNCHING:
    case ST_ONLINE:
        if (tree_count(app_tree(inst)) > 0) {
            /* leftovers (a double-forked child, say) would keep the port:
             * stop them before deciding anything */
            inst->after = AFTER_STOPPED;
            set_status(inst, ST_CLEANING);
            signal_tree_and_arm(inst);
        } else {
            decide_after_crash(inst);
        }
        break;
    default:
        changed(inst);
        break;
    }
}

void instance_on_sigchld(struct instance *inst)
{
    int wstatus;
    pid_t pid;
    int main_exited = 0, main_status = 0;
    while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
        if (pid == inst->pid) {
            main_exited = 1;
            main_status = wstatus;
        } else {
            logger_child_exited(inst->logger, pid, wstatus);
        }
        /* anything else was a re-parented orphan of the app: reaped */
    }
    if (main_exited)
        on_main_exit(inst, main_status);
    else
        check_tree_done(inst);
}
