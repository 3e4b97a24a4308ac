/* instance.c - the state machine of one app instance (instance.h). */
#include "sup/instance.h"
#include "base/log.h"
#include "base/pidfd.h"
#include "base/procfs.h"
#include "base/timeutil.h"
#include "logs/logger.h"
#include "loop/loop.h"
#include "proto/spec.h"
#include "spawn/spawn.h"
#include "sup/app_env.h"
#include "sup/drain.h"
#include "sup/node_ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RECHECK_MS 200
#define PROBE_MS 100

/* What a cell of the table does (see the table in instance.h). */
enum action {
    A_IGNORE,       /* -: the event means nothing here */
    A_ALREADY,      /* =: nothing to do (-EALREADY) */
    A_REFUSE,       /* the instance is going away (-ESHUTDOWN) */
    A_RUN_FRESH,    /* run*: unstable count and backoff start over */
    A_RUN,          /* run */
    A_RUN_COUNTED,  /* run+: a user restart */
    A_RUN_RESTART,  /* run after a crash's delay: counted (PM2's restart_time) */
    A_STOP_S,       /* stop>S */
    A_STOP_R,       /* stop>R+ (a user restart) */
    A_STOP_X,       /* stop>X */
    A_STOP_E,       /* stop>E (not ready in time) */
    A_TO_S,         /* >S: already stopping, stay stopped after */
    A_TO_R,         /* >R: already stopping, run again after */
    A_TO_R_COUNTED, /* >R+ */
    A_TO_X,         /* >X */
    A_ONLINE,       /* the run is ready */
    A_CRASHED,      /* the main process exited on its own */
    A_POLICY,       /* the restart policy decides */
    A_CHECK,        /* TREE_EMPTY if nothing is left */
    A_STOPPED,      /* STOPPED (timers cancelled) */
    A_ERRORED,      /* ERRORED */
    A_EXIT,         /* EXITED, or STOP_TO_EXIT while leftovers run */
    A_KILL,         /* SIGKILL the tree */
    A_SIGNAL,       /* the drain is over: the stop signal (if not sent yet) */
};

/* clang-format off */
static const unsigned char transitions[SUP__STATES][SUP__EVENTS] = {
    /*                     START        STOP       RESTART         DELETE    READY     READY_TMO  MAIN_EXIT  TREE_EMPTY DRAINED   KILL_TMR RST_TMR */
    [SUP_STOPPED]       = {A_RUN_FRESH, A_ALREADY, A_RUN_FRESH,    A_EXIT,   A_IGNORE, A_IGNORE,  A_IGNORE,  A_IGNORE,  A_IGNORE, A_IGNORE, A_IGNORE},
    [SUP_LAUNCHING]     = {A_ALREADY,   A_STOP_S,  A_STOP_R,       A_STOP_X, A_ONLINE, A_STOP_E,  A_CRASHED, A_IGNORE,  A_IGNORE, A_IGNORE, A_IGNORE},
    [SUP_ONLINE]        = {A_ALREADY,   A_STOP_S,  A_STOP_R,       A_STOP_X, A_IGNORE, A_IGNORE,  A_CRASHED, A_IGNORE,  A_IGNORE, A_IGNORE, A_IGNORE},
    [SUP_CLEANING]      = {A_ALREADY,   A_TO_S,    A_TO_R_COUNTED, A_TO_X,   A_IGNORE, A_IGNORE,  A_IGNORE,  A_POLICY,  A_SIGNAL, A_KILL,   A_IGNORE},
    [SUP_STOP_TO_STOPPED] = {A_TO_R,    A_ALREADY, A_TO_R_COUNTED, A_TO_X,   A_IGNORE, A_IGNORE,  A_CHECK,   A_STOPPED, A_SIGNAL, A_KILL,   A_IGNORE},
    [SUP_STOP_TO_RESTART] = {A_ALREADY, A_TO_S,    A_ALREADY,      A_TO_X,   A_IGNORE, A_IGNORE,  A_CHECK,   A_RUN,     A_SIGNAL, A_KILL,   A_IGNORE},
    [SUP_STOP_TO_EXIT]  = {A_REFUSE,    A_REFUSE,  A_REFUSE,       A_ALREADY,A_IGNORE, A_IGNORE,  A_CHECK,   A_EXIT,    A_SIGNAL, A_KILL,   A_IGNORE},
    [SUP_STOP_TO_ERRORED] = {A_TO_R,    A_TO_S,    A_TO_R_COUNTED, A_TO_X,   A_IGNORE, A_IGNORE,  A_CHECK,   A_ERRORED, A_SIGNAL, A_KILL,   A_IGNORE},
    [SUP_WAITING]       = {A_RUN,       A_STOPPED, A_RUN_COUNTED,  A_EXIT,   A_IGNORE, A_IGNORE,  A_IGNORE,  A_IGNORE,  A_IGNORE, A_IGNORE, A_RUN_RESTART},
    [SUP_ERRORED]       = {A_RUN_FRESH, A_STOPPED, A_RUN_FRESH,    A_EXIT,   A_IGNORE, A_IGNORE,  A_IGNORE,  A_IGNORE,  A_IGNORE, A_IGNORE, A_IGNORE},
    [SUP_EXITED]        = {A_REFUSE,    A_REFUSE,  A_REFUSE,       A_ALREADY,A_IGNORE, A_IGNORE,  A_IGNORE,  A_IGNORE,  A_IGNORE, A_IGNORE, A_IGNORE},
};
/* clang-format on */

static const char *const state_names[SUP__STATES] = {
    [SUP_STOPPED] = "stopped",
    [SUP_LAUNCHING] = "launching",
    [SUP_ONLINE] = "online",
    [SUP_CLEANING] = "cleaning",
    [SUP_STOP_TO_STOPPED] = "stopping (then stopped)",
    [SUP_STOP_TO_RESTART] = "stopping (then restart)",
    [SUP_STOP_TO_EXIT] = "stopping (then exit)",
    [SUP_STOP_TO_ERRORED] = "stopping (then errored)",
    [SUP_WAITING] = "waiting restart",
    [SUP_ERRORED] = "errored",
    [SUP_EXITED] = "exited",
};

static const char *const event_names[SUP__EVENTS] = {
    [EV_START] = "start",
    [EV_STOP] = "stop",
    [EV_RESTART] = "restart",
    [EV_DELETE] = "delete",
    [EV_READY] = "ready",
    [EV_READY_TIMEOUT] = "ready timeout",
    [EV_MAIN_EXIT] = "main exit",
    [EV_TREE_EMPTY] = "tree empty",
    [EV_DRAINED] = "drained",
    [EV_KILL_TIMER] = "kill timer",
    [EV_RESTART_TIMER] = "restart timer",
};

const char *instance_state_name(enum sup_state s)
{
    return (unsigned)s < SUP__STATES ? state_names[s] : "?";
}

const char *instance_event_name(enum sup_event e)
{
    return (unsigned)e < SUP__EVENTS ? event_names[e] : "?";
}

enum inst_status instance_status(const struct instance *inst)
{
    switch (inst->state) {
    case SUP_STOPPED:
        return STATUS_STOPPED;
    case SUP_LAUNCHING:
        return STATUS_LAUNCHING;
    case SUP_ONLINE:
        return STATUS_ONLINE;
    case SUP_CLEANING:
    case SUP_STOP_TO_STOPPED:
    case SUP_STOP_TO_RESTART:
    case SUP_STOP_TO_EXIT:
    case SUP_STOP_TO_ERRORED:
        return STATUS_STOPPING;
    case SUP_WAITING:
        return STATUS_WAITING;
    case SUP_ERRORED:
        return STATUS_ERRORED;
    case SUP_EXITED:
    case SUP__STATES:
        break;
    }
    return STATUS_EXITING;
}

/* --- small steps --------------------------------------------------------- */

static void set_state(struct instance *inst, enum sup_state s)
{
    inst->state = s;
    if (inst->on_change)
        inst->on_change(inst, inst->cb_data);
}

/* Leaves the drain sub-phase (its timer and resources). */
static void end_drain(struct instance *inst)
{
    ev_timer_cancel(inst->loop, inst->drain_timer);
    inst->drain_timer = 0;
    if (inst->stop_phase == STOP_DRAINING && inst->ops->drain_end)
        inst->ops->drain_end(inst);
    if (inst->stop_phase == STOP_DRAINING)
        inst->stop_phase = STOP_NONE;
}

static void cancel_timers(struct instance *inst)
{
    end_drain(inst);
    inst->stop_phase = STOP_NONE;
    ev_timer_cancel(inst->loop, inst->kill_timer);
    ev_timer_cancel(inst->loop, inst->restart_timer);
    ev_timer_cancel(inst->loop, inst->recheck_timer);
    ev_timer_cancel(inst->loop, inst->ready_timer);
    ev_timer_cancel(inst->loop, inst->probe_timer);
    inst->kill_timer = inst->restart_timer = inst->recheck_timer = inst->ready_timer = 0;
    inst->probe_timer = 0;
}

static int64_t arm(struct instance *inst, int64_t ms, ev_timer_cb cb)
{
    int64_t id = ev_timer_add(inst->loop, ms, cb, inst);
    return id > 0 ? id : 0;
}

/* A restart the user asked for: counted, and the crash counters start over. */
static void count_user_restart(struct instance *inst)
{
    inst->counters.restarts++;
    inst->counters.unstable_restarts = 0;
    inst->counters.backoff_ms = 0;
}

static void on_ready_timer(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->ready_timer = 0;
    instance_event(inst, EV_READY_TIMEOUT);
}

static void on_restart_timer(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->restart_timer = 0;
    instance_event(inst, EV_RESTART_TIMER);
}

static void on_kill_timer(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->kill_timer = 0;
    instance_event(inst, EV_KILL_TIMER);
}

static int stopping(const struct instance *inst)
{
    return inst->state == SUP_CLEANING || inst->state == SUP_STOP_TO_STOPPED ||
           inst->state == SUP_STOP_TO_RESTART || inst->state == SUP_STOP_TO_EXIT ||
           inst->state == SUP_STOP_TO_ERRORED;
}

/* TREE_EMPTY once the main process is gone and nothing of the tree is. */
static void check_tree(struct instance *inst)
{
    if (inst->pid == 0 && stopping(inst) && inst->ops->tree_count(inst) == 0)
        instance_event(inst, EV_TREE_EMPTY);
}

/* While stopping: anything forked since a SIGKILL is killed too, and the
 * tree is checked (a process of the tree that is not our child exits
 * without a SIGCHLD for us). */
static void on_recheck(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->recheck_timer = 0;
    if (!stopping(inst))
        return;
    if (!inst->kill_timer)
        inst->ops->kill_tree(inst);
    check_tree(inst);
    if (stopping(inst) && !inst->recheck_timer)
        inst->recheck_timer = arm(inst, RECHECK_MS, on_recheck);
}

/* The stop signal to the whole tree, the kill timer, the recheck timer. */
static void signal_now(struct instance *inst)
{
    inst->stop_phase = STOP_SIGNALLED;
    inst->ops->signal_tree(inst);
    ev_timer_cancel(inst->loop, inst->kill_timer);
    inst->kill_timer = arm(inst, inst->spec->kill_timeout_ms, on_kill_timer);
    ev_timer_cancel(inst->loop, inst->recheck_timer);
    inst->recheck_timer = arm(inst, RECHECK_MS, on_recheck);
}

static void note(struct instance *inst, const char *what);

/* Every DRAIN_TICK_MS while draining: DRAINED once nothing is left to wait
 * for, or drain_timeout passed. */
static void on_drain_timer(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->drain_timer = 0;
    if (inst->stop_phase != STOP_DRAINING)
        return;
    check_tree(inst); /* the app may have exited on its own */
    if (inst->stop_phase != STOP_DRAINING)
        return;
    if (!inst->ops->drain_poll(inst)) {
        instance_event(inst, EV_DRAINED);
        return;
    }
    if (mono_ms() >= inst->drain_until) {
        char line[160];
        snprintf(line, sizeof(line),
                 "connections still open after drain_timeout (%lld ms): sending the stop signal",
                 (long long)inst->spec->drain_timeout_ms);
        note(inst, line);
        instance_event(inst, EV_DRAINED);
        return;
    }
    inst->drain_timer = arm(inst, DRAIN_TICK_MS, on_drain_timer);
}

/* A run that serves sockets drains first (drain.h): 1 when it does. */
static int start_drain(struct instance *inst)
{
    if (!inst->pid || !inst->serving || inst->spec->drain_timeout_ms <= 0 ||
        !inst->ops->drain_begin || inst->ops->drain_begin(inst) <= 0)
        return 0;
    inst->stop_phase = STOP_DRAINING;
    inst->drain_until = mono_ms() + inst->spec->drain_timeout_ms;
    ev_timer_cancel(inst->loop, inst->drain_timer);
    /* the first step on the next loop turn: the shim's processes stop
     * taking connections at once; then every DRAIN_TICK_MS */
    inst->drain_timer = arm(inst, 0, on_drain_timer);
    return 1;
}

/* State `to`, then the drain, or the stop signal at once. */
static void begin_stop(struct instance *inst, enum sup_state to)
{
    ev_timer_cancel(inst->loop, inst->restart_timer);
    ev_timer_cancel(inst->loop, inst->ready_timer);
    inst->restart_timer = inst->ready_timer = 0;
    set_state(inst, to);
    if (!start_drain(inst))
        signal_now(inst);
    check_tree(inst);
}

/* Already stopping: only what comes after changes. */
static void retarget(struct instance *inst, enum sup_state to)
{
    set_state(inst, to);
    check_tree(inst);
}

static void note(struct instance *inst, const char *what)
{
    char line[320];
    snprintf(line, sizeof(line), "drover: %s", what);
    inst->ops->note(inst, line);
}

/* While a run has inherited sockets and was not seen serving: look every
 * PROBE_MS, until listen_timeout. */
static void on_probe_timer(struct ev_loop *loop, void *data)
{
    struct instance *inst = data;
    (void)loop;
    inst->probe_timer = 0;
    if (!inst->pid || inst->serving)
        return;
    if (inst->ops->probe_serving && inst->ops->probe_serving(inst)) {
        instance_mark_serving(inst);
        return;
    }
    if (mono_ms() < inst->probe_until)
        inst->probe_timer = arm(inst, PROBE_MS, on_probe_timer);
}

/* A new run: LAUNCHING, ONLINE at once for readiness "spawn" and "serving",
 * or ERRORED when it cannot start. exit_code and exit_signal keep telling
 * the last exit (PM2's exit_code) until the next one. */
static void run(struct instance *inst)
{
    cancel_timers(inst);
    inst->ready = 0;
    inst->serving = 0;
    inst->run++;
    if (inst->ops->spawn(inst) < 0) {
        note(inst, inst->reason);
        inst->last_exit_at = wall_ms();
        set_state(inst, SUP_ERRORED);
        return;
    }
    inst->started_at = wall_ms();
    inst->started_mono = mono_ms();
    inst->reason[0] = '\0';
    if (inst->spec->pass_listen_fds && inst->n_listen_fds && *inst->n_listen_fds > 0) {
        inst->probe_until = inst->started_mono + inst->spec->listen_timeout_ms;
        inst->probe_timer = arm(inst, PROBE_MS, on_probe_timer);
    }
    if (inst->spec->readiness == READY_SPAWN || inst->spec->readiness == READY_SERVING) {
        inst->ready = 1;
        set_state(inst, SUP_ONLINE);
        return;
    }
    inst->ready_timer = arm(inst, inst->spec->listen_timeout_ms, on_ready_timer);
    set_state(inst, SUP_LAUNCHING);
}

/* The run ended without anyone asking: the restart policy decides. */
static void apply_policy(struct instance *inst)
{
    cancel_timers(inst);
    const struct inst_spec *sp = inst->spec;
    struct restart_policy p = {
        .autorestart = sp->autorestart,
        .min_uptime_ms = sp->min_uptime_ms,
        .max_restarts = sp->max_restarts,
        .restart_delay_ms = sp->restart_delay_ms,
        .exp_backoff_ms = sp->exp_backoff_ms,
        .stop_exit_codes = sp->stop_exit_codes,
        .n_stop_exit_codes = (size_t)sp->n_stop_exit_codes,
    };
    struct restart_decision d;
    int64_t uptime = mono_ms() - inst->started_mono;
    policy_decide(&p, &inst->counters, inst->exit_code, inst->exit_signal, uptime, &d);
    snprintf(inst->reason, sizeof(inst->reason), "%s", d.reason);
    switch (d.action) {
    case RESTART_AFTER_DELAY:
        inst->restart_timer = arm(inst, d.delay_ms, on_restart_timer);
        set_state(inst, SUP_WAITING);
        break;
    case RESTART_NO_STOPPED:
        set_state(inst, SUP_STOPPED);
        break;
    case RESTART_NO_ERRORED:
        set_state(inst, SUP_ERRORED);
        break;
    }
}

static void do_exit(struct instance *inst)
{
    cancel_timers(inst);
    /* leftovers of an earlier run must not outlive the instance */
    if (inst->ops->tree_count(inst) > 0) {
        begin_stop(inst, SUP_STOP_TO_EXIT);
        return;
    }
    set_state(inst, SUP_EXITED);
    if (inst->on_exit)
        inst->on_exit(inst, inst->cb_data);
}

/* --- the table's actions -------------------------------------------------- */

int instance_event(struct instance *inst, enum sup_event ev)
{
    if ((unsigned)inst->state >= SUP__STATES || (unsigned)ev >= SUP__EVENTS)
        return -EINVAL;
    enum action a = transitions[inst->state][ev];
    log_debug("%s: %s in state %s", inst->spec->name, instance_event_name(ev),
              instance_state_name(inst->state));
    switch (a) {
    case A_IGNORE:
        return 0;
    case A_ALREADY:
        return -EALREADY;
    case A_REFUSE:
        return -ESHUTDOWN;
    case A_RUN_FRESH:
        inst->counters.unstable_restarts = 0;
        inst->counters.backoff_ms = 0;
        run(inst);
        return 0;
    case A_RUN:
        run(inst);
        return 0;
    case A_RUN_COUNTED:
        count_user_restart(inst);
        run(inst);
        return 0;
    case A_RUN_RESTART:
        inst->counters.restarts++;
        run(inst);
        return 0;
    case A_STOP_S:
        begin_stop(inst, SUP_STOP_TO_STOPPED);
        return 0;
    case A_STOP_R:
        count_user_restart(inst);
        begin_stop(inst, SUP_STOP_TO_RESTART);
        return 0;
    case A_STOP_X:
        begin_stop(inst, SUP_STOP_TO_EXIT);
        return 0;
    case A_STOP_E: {
        snprintf(inst->reason, sizeof(inst->reason),
                 "not ready within listen_timeout (%lld ms): no listen() on a shared socket, "
                 "READY=1 or process.send('ready')",
                 (long long)inst->spec->listen_timeout_ms);
        note(inst, inst->reason);
        begin_stop(inst, SUP_STOP_TO_ERRORED);
        return 0;
    }
    case A_TO_S:
        retarget(inst, SUP_STOP_TO_STOPPED);
        return 0;
    case A_TO_R:
        retarget(inst, SUP_STOP_TO_RESTART);
        return 0;
    case A_TO_R_COUNTED:
        count_user_restart(inst);
        retarget(inst, SUP_STOP_TO_RESTART);
        return 0;
    case A_TO_X:
        retarget(inst, SUP_STOP_TO_EXIT);
        return 0;
    case A_ONLINE:
        inst->ready = 1;
        ev_timer_cancel(inst->loop, inst->ready_timer);
        inst->ready_timer = 0;
        set_state(inst, SUP_ONLINE);
        return 0;
    case A_CRASHED:
        if (inst->ops->tree_count(inst) > 0) {
            /* leftovers (a double-forked child, say) would keep the port:
             * stop them before deciding anything */
            begin_stop(inst, SUP_CLEANING);
        } else {
            apply_policy(inst);
        }
        return 0;
    case A_POLICY:
        apply_policy(inst);
        return 0;
    case A_CHECK:
        if (inst->on_change)
            inst->on_change(inst, inst->cb_data); /* the exit itself is news */
        check_tree(inst);
        return 0;
    case A_STOPPED:
        cancel_timers(inst);
        set_state(inst, SUP_STOPPED);
        return 0;
    case A_ERRORED:
        cancel_timers(inst);
        set_state(inst, SUP_ERRORED);
        return 0;
    case A_EXIT:
        do_exit(inst);
        return 0;
    case A_SIGNAL:
        if (inst->stop_phase != STOP_DRAINING)
            return 0;
        end_drain(inst);
        signal_now(inst);
        check_tree(inst);
        return 0;
    case A_KILL: {
        size_t n = inst->ops->kill_tree(inst);
        if (n > 0) {
            char line[160];
            snprintf(line, sizeof(line),
                     "%zu process(es) still running after kill_timeout (%lld ms): sent SIGKILL", n,
                     (long long)inst->spec->kill_timeout_ms);
            note(inst, line);
        }
        check_tree(inst);
        return 0;
    }
    }
    return 0;
}

int instance_start(struct instance *inst)
{
    return instance_event(inst, EV_START);
}

int instance_stop(struct instance *inst)
{
    return instance_event(inst, EV_STOP);
}

int instance_restart(struct instance *inst)
{
    return instance_event(inst, EV_RESTART);
}

int instance_delete(struct instance *inst)
{
    return instance_event(inst, EV_DELETE);
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
    if (inst->on_change)
        inst->on_change(inst, inst->cb_data);
}

void instance_mark_ready(struct instance *inst)
{
    if (!inst->pid)
        return;
    instance_mark_serving(inst);
    if (!inst->ready)
        instance_event(inst, EV_READY);
}

void instance_mark_serving(struct instance *inst)
{
    if (!inst->pid || inst->serving)
        return;
    inst->serving = 1;
    ev_timer_cancel(inst->loop, inst->probe_timer);
    inst->probe_timer = 0;
    if (inst->spec->readiness == READY_LISTEN && !inst->ready)
        instance_event(inst, EV_READY);
    else if (inst->on_change)
        inst->on_change(inst, inst->cb_data);
}

/* --- exits ---------------------------------------------------------------- */

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
    inst->serving = 0;
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
        } else if (inst->logger) {
            logger_child_exited(inst->logger, pid, wstatus);
        }
        /* anything else was a re-parented orphan of the app: reaped */
    }
    if (main_exited) {
        inst->exit_code = WIFEXITED(main_status) ? WEXITSTATUS(main_status) : -1;
        inst->exit_signal = WIFSIGNALED(main_status) ? WTERMSIG(main_status) : 0;
        inst->last_exit_at = wall_ms();
        forget_process(inst);
        /* the last lines the app wrote land before anyone hears of the exit */
        if (inst->logger)
            logger_drain(inst->logger);
        instance_event(inst, EV_MAIN_EXIT);
    } else {
        check_tree(inst);
    }
}

void instance_init(struct instance *inst, struct ev_loop *loop, const struct inst_spec *spec,
                   const struct instance_ops *ops, struct logger *logger, int out_w, int err_w)
{
    memset(inst, 0, sizeof(*inst));
    inst->loop = loop;
    inst->spec = spec;
    inst->ops = ops ? ops : &instance_real_ops;
    inst->logger = logger;
    inst->out_w = out_w;
    inst->err_w = err_w;
    inst->pidfd = -1;
    inst->state = SUP_STOPPED;
    inst->exit_code = -1;
    inst->counters.restarts = spec->restarts;
    if (!ops)
        tree_init(&inst->tree, spec->cgroup);
    else
        inst->tree.cgroup_dirfd = -1;
}
