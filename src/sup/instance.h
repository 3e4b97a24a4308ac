/* clang-format off */
/* instance.h - the life of one app instance inside its supervisor, as an
 * explicit [state][event] table (s6-supervise's actions[][]).
 *
 * States. The stopping state remembers what comes after it, so every
 * decision is in the table, none in a flag beside it:
 *
 *   STOPPED          no process
 *   LAUNCHING        a run started, not ready yet (ready timer armed)
 *   ONLINE           the run is ready
 *   CLEANING         the main process exited on its own; leftovers of its
 *                    tree are being stopped before the restart decision
 *   STOP_TO_STOPPED  stop signal sent; when the tree is empty: STOPPED
 *   STOP_TO_RESTART  ... when the tree is empty: a new run
 *   STOP_TO_EXIT     ... when the tree is empty: the supervisor exits
 *   STOP_TO_ERRORED  ... (not ready in time) when the tree is empty: ERRORED
 *   WAITING          restart delay or backoff before the next run
 *   ERRORED          no process, not restarted (max_restarts, exec failed)
 *   EXITED           the supervisor is done (on_exit was called)
 *
 * Events: START, STOP, RESTART, DELETE (daemon commands), READY (listen()
 * on a shared socket, READY=1, IPC 'ready'), READY_TIMEOUT, MAIN_EXIT (the
 * main process was reaped), TREE_EMPTY (nothing of the app is left after
 * the main process), DRAINED (the drain is over: done, or drain_timeout
 * passed), KILL_TIMER (kill_timeout passed), RESTART_TIMER.
 *
 * The table (instance.c, `transitions`), "-" = ignored, "=" = nothing to do
 * (the command returns -EALREADY):
 *
 *             START  STOP   RESTART DELETE READY  RDY_TMO MAIN_EXIT TREE_EMPTY DRAINED KILL_TMR RST_TMR
 * STOPPED     run*   =      run*    exit   -      -       -         -          -       -        -
 * LAUNCHING   =      stop>S stop>R+ stop>X online stop>E  crashed   -          -       -        -
 * ONLINE      =      stop>S stop>R+ stop>X -      -       crashed   -          -       -        -
 * CLEANING    =      >S     >R+     >X     -      -       -         policy     signal  kill     -
 * STOP>S      >R     =      >R+     >X     -      -       check     STOPPED    signal  kill     -
 * STOP>R      =      >S     =       >X     -      -       check     run        signal  kill     -
 * STOP>X      refuse refuse refuse  =      -      -       check     exit       signal  kill     -
 * STOP>E      >R     >S     >R+     >X     -      -       check     ERRORED    signal  kill     -
 * WAITING     run    STOPPED run+   exit   -      -       -         -          -       -        run++
 * ERRORED     run*   STOPPED run*   exit   -      -       -         -          -       -        -
 * EXITED      refuse refuse refuse  =      -      -       -         -          -       -        -
 *
 *   run: a new run (LAUNCHING, or ONLINE at once with readiness "spawn"
 *   or "serving", proto/spec.h; a failed exec is ERRORED); *: the unstable
 *   count and backoff start over; +: a user restart (counted, unstable
 *   count and backoff reset; a restart of what does not run is a start, not
 *   counted, as in PM2); ++: the crash restart is counted when it happens,
 *   not when the delay starts; stop>S:
 *   the stopping state STOP_TO_STOPPED (>R, >X, >E likewise, or just the
 *   new target when already stopping), whose first sub-phase is the drain
 *   when the run serves sockets and drain_timeout is set (sup/drain.h: no
 *   new connections, the accepted ones finish; the drain timer ticks, no
 *   signal yet), then the stop signal to the whole tree and the kill timer;
 *   signal: the drain is over, the stop signal goes now with the kill timer
 *   (nothing when it already went: no drain, or the main process had
 *   exited); crashed:
 *   CLEANING when leftovers of the tree still run, else policy; policy: the
 *   restart policy (policy.h) picks WAITING, STOPPED or ERRORED; check:
 *   TREE_EMPTY follows when the tree is empty; exit: EXITED at once, or
 *   STOP_TO_EXIT when leftovers of an earlier run remain; kill: SIGKILL of
 *   the tree.
 *
 * Effects (spawning, signalling the tree, counting it, log notes) go
 * through struct instance_ops, so the unit tests drive every cell of the
 * table with fakes (tests/unit/test_instance.c). Every state change calls
 * on_change, which the control module turns into a snapshot for daemons. */
/* clang-format on */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "proto/status.h"
#include "sup/policy.h"
#include "sup/tree.h"

struct ev_loop;
struct logger;
struct inst_spec;
struct node_ipc;
struct app_stdin;
struct drain;

enum sup_state {
    SUP_STOPPED,
    SUP_LAUNCHING,
    SUP_ONLINE,
    SUP_CLEANING,
    SUP_STOP_TO_STOPPED,
    SUP_STOP_TO_RESTART,
    SUP_STOP_TO_EXIT,
    SUP_STOP_TO_ERRORED,
    SUP_WAITING,
    SUP_ERRORED,
    SUP_EXITED,
    SUP__STATES
};

enum sup_event {
    EV_START,
    EV_STOP,
    EV_RESTART,
    EV_DELETE,
    EV_READY,
    EV_READY_TIMEOUT,
    EV_MAIN_EXIT,
    EV_TREE_EMPTY,
    EV_DRAINED,
    EV_KILL_TIMER,
    EV_RESTART_TIMER,
    SUP__EVENTS
};

struct instance;
typedef void (*instance_cb)(struct instance *inst, void *data);

/* What the state machine does to the world; the real ones spawn and signal
 * processes (instance_real_ops), the unit tests record calls. */
struct instance_ops {
    /* Starts a run: sets inst->pid (and pidfd, pid_start_time) and returns
     * 0, or returns a negative errno with inst->reason set. */
    int (*spawn)(struct instance *inst);
    /* Asks the tree to stop (kill_signal, or 'shutdown' over Node's IPC). */
    void (*signal_tree)(struct instance *inst);
    /* SIGKILLs the tree; returns how many processes were alive. */
    size_t (*kill_tree)(struct instance *inst);
    /* Live processes in the tree (the main one included while it runs). */
    size_t (*tree_count)(struct instance *inst);
    /* Writes a line of our own into the app's error log. */
    void (*note)(struct instance *inst, const char *line);
    /* Is the run waiting on the sockets it inherited (serve_probe.h)? */
    int (*probe_serving)(struct instance *inst);
    /* Starts draining the run (sup/drain.h): 1 when there is something to
     * drain, 0 when not; NULL: never drain. */
    int (*drain_begin)(struct instance *inst);
    /* One drain step: 1 while connections remain, 0 when drained. */
    int (*drain_poll)(struct instance *inst);
    /* The drain is over (done, timed out, or the run is gone). */
    void (*drain_end)(struct instance *inst);
};

/* Where a stopping state is: its first sub-phase drains the run, the
 * second waits for the tree to exit after the stop signal. */
enum stop_phase { STOP_NONE, STOP_DRAINING, STOP_SIGNALLED };

extern const struct instance_ops instance_real_ops;

struct instance {
    struct ev_loop *loop;
    const struct inst_spec *spec;
    const struct instance_ops *ops;
    struct logger *logger;
    struct proc_tree tree;
    int out_w, err_w;         /* pipe write ends every incarnation writes to */
    struct app_stdin *app_in; /* the stdin pipe every incarnation reads, or NULL (/dev/null) */
    const int *listen_fds;    /* listening sockets, placed from fd 3 */
    const int *n_listen_fds;
    const char *listen_fdnames;
    const char *notify_name; /* NOTIFY_SOCKET for the app, or NULL */
    const char *broker_name; /* DROVER_BROKER for the app, or NULL */
    struct node_ipc *ipc;    /* Node's IPC channel, or NULL */
    struct drain *drain;     /* what the shim registered, the drain under way (drain.h) */

    enum sup_state state;
    pid_t pid; /* main process, 0 when none */
    int pidfd;
    uint64_t pid_start_time;
    int64_t run;          /* runs started (the current one's number) */
    int64_t started_at;   /* wall ms of the current run */
    int64_t started_mono; /* monotonic ms of the current run */
    int ready;            /* readiness reported for the current run */
    int serving;          /* the current run was seen using its sockets */
    struct restart_counters counters;
    int exit_code; /* last exit: code, or -1 when killed by exit_signal */
    int exit_signal;
    int64_t last_exit_at;
    char reason[256]; /* why errored / last notable event */

    int64_t kill_timer, restart_timer, recheck_timer, ready_timer, probe_timer, drain_timer;
    int64_t probe_until; /* mono ms: the probe gives up (listen_timeout) */
    enum stop_phase stop_phase;
    int64_t drain_until; /* mono ms: drain_timeout passes */

    instance_cb on_change;
    instance_cb on_exit; /* delete finished: the supervisor should exit */
    void *cb_data;
};

/* Sets up the instance (ops NULL: the real ones); nothing is started. */
void instance_init(struct instance *inst, struct ev_loop *loop, const struct inst_spec *spec,
                   const struct instance_ops *ops, struct logger *logger, int out_w, int err_w);

/* Feeds one event to the table. Returns 0, -EALREADY when the event has
 * nothing to do in the current state (not an error for a command), or
 * -ESHUTDOWN when the instance is going away and refuses it. */
int instance_event(struct instance *inst, enum sup_event ev);

/* Commands from the daemon: instance_event with START, STOP, RESTART,
 * DELETE. */
int instance_start(struct instance *inst);
int instance_stop(struct instance *inst);
int instance_restart(struct instance *inst);
int instance_delete(struct instance *inst);

/* Sends sig to the main process (through its pidfd). -ESRCH if not running. */
int instance_signal(struct instance *inst, int sig);

/* Clears restart counters (drover reset). */
void instance_reset_counters(struct instance *inst);

/* The current run reported readiness (READY=1, IPC 'ready'): READY, and
 * serving. */
void instance_mark_ready(struct instance *inst);

/* The current run uses its sockets (listen() through the shim, or the
 * probe saw it wait on them): serving; READY too in mode READY_LISTEN. */
void instance_mark_serving(struct instance *inst);

/* Reaps children; call on SIGCHLD (MAIN_EXIT, TREE_EMPTY). */
void instance_on_sigchld(struct instance *inst);

/* The status daemons see for a state. */
enum inst_status instance_status(const struct instance *inst);

/* The names of states and events, for logs and tests. */
const char *instance_state_name(enum sup_state s);
const char *instance_event_name(enum sup_event e);
