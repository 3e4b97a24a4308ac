/* instance.h - the life of one app instance inside its supervisor.
 *
 * States (shown by `drover ls` as PM2's names):
 *
 *   STOPPED    no process; the user stopped it, or autorestart said so
 *   LAUNCHING  started, waiting for readiness (listen() on a shared socket,
 *              READY=1, or IPC 'ready'); listen_timeout expiring is a
 *              failure: the run is stopped and the instance errored
 *   ONLINE     running (and ready)
 *   STOPPING   stop signal sent to the whole tree; SIGKILL at kill_timeout
 *   CLEANING   the main process exited on its own and leftovers of its tree
 *              are being stopped before the restart decision ("stopping")
 *   WAITING    waiting restart_delay / backoff before starting again
 *   ERRORED    not restarted: max_restarts reached, or exec failed
 *
 * Transitions (event -> action):
 *
 *   start      STOPPED/ERRORED/WAITING -> spawn
 *   stop       LAUNCHING/ONLINE -> STOPPING(then STOPPED); WAITING/ERRORED -> STOPPED
 *   restart    LAUNCHING/ONLINE -> STOPPING(then spawn); others -> spawn
 *   delete     running -> STOPPING(then exit); otherwise exit now
 *   main exit  STOPPING -> wait for the tree to empty
 *              LAUNCHING/ONLINE -> CLEANING if leftovers, then policy (policy.h)
 *   tree empty STOPPING -> STOPPED / spawn / exit; CLEANING -> policy
 *   kill timer STOPPING/CLEANING -> SIGKILL the tree
 *   restart timer  WAITING -> spawn
 *
 * Every state change calls the on_change callback, which the control
 * module turns into an event for connected daemons. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "sup/policy.h"
#include "sup/tree.h"

struct ev_loop;
struct logger;
struct sup_spec;

enum inst_status {
    ST_STOPPED,
    ST_LAUNCHING,
    ST_ONLINE,
    ST_STOPPING,
    ST_CLEANING,
    ST_WAITING,
    ST_ERRORED,
};

enum after_stop { AFTER_STOPPED, AFTER_RESTART, AFTER_EXIT, AFTER_ERRORED };

struct instance;
typedef void (*instance_cb)(struct instance *inst, void *data);

struct instance {
    struct ev_loop *loop;
    const struct sup_spec *spec;
    struct logger *logger;
    struct proc_tree tree;
    int out_w, err_w;      /* pipe write ends every incarnation writes to */
    const int *listen_fds; /* listening sockets, placed from fd 3 */
    const int *n_listen_fds;
    const char *listen_fdnames;
    const char *notify_name; /* NOTIFY_SOCKET for the app, or NULL */
    const char *broker_name; /* DROVER_BROKER for the app, or NULL */
    struct node_ipc *ipc;    /* Node's IPC channel, or NULL */

    enum inst_status status;
    enum after_stop after;
    pid_t pid; /* main process, 0 when none */
    int pidfd;
    uint64_t pid_start_time;
    int64_t started_at;   /* wall ms of the current run */
    int64_t started_mono; /* monotonic ms of the current run */
    int ready;            /* readiness reported for the current run */
    struct restart_counters counters;
    int exit_code; /* last exit: code, or -1 when killed by exit_signal */
    int exit_signal;
    int64_t last_exit_at;
    char reason[256]; /* why errored / last notable event */

    int64_t kill_timer, restart_timer, recheck_timer, ready_timer;
    int killed; /* SIGKILL already sent in this stop */

    instance_cb on_change;
    instance_cb on_exit; /* delete finished: the supervisor should exit */
    void *cb_data;
};

/* Sets up the instance; nothing is started. */
void instance_init(struct instance *inst, struct ev_loop *loop, const struct sup_spec *spec,
                   struct logger *logger, int out_w, int err_w);

/* Commands from the daemon. Each returns 0, or -EALREADY when it has nothing
 * to do in the current state (not an error for the caller). */
int instance_start(struct instance *inst);
int instance_stop(struct instance *inst);
int instance_restart(struct instance *inst);
int instance_delete(struct instance *inst);

/* Sends sig to the main process (through its pidfd). -ESRCH if not running. */
int instance_signal(struct instance *inst, int sig);

/* Clears restart counters (drover reset). */
void instance_reset_counters(struct instance *inst);

/* Marks the current run ready: LAUNCHING -> ONLINE. */
void instance_mark_ready(struct instance *inst);

/* Reaps children; call on SIGCHLD. */
void instance_on_sigchld(struct instance *inst);

/* PM2's status name: "online", "launching", "stopping", "stopped",
 * "errored", "waiting restart". */
const char *instance_status_name(enum inst_status s);
