/* ops.h - the one operation engine. Every command that acts on instances
 * and waits for them (start, stop, restart, delete, reload, scale, apply,
 * resurrect, kill, flush, describe) builds an op: one task per instance,
 * then op_run. The engine begins the tasks (all at once; reloads
 * `parallel` at a time, the rolling reload), advances them whenever an instance changes (ops_poll,
 * called by daemon_instances_changed: no polling timer), enforces each task's deadline with one
 * timer per op, and calls the op's done callback once, when every task finished. The callback
 * replies to the CLI (or not, when the CLI went away: op->client is then NULL).
 *
 * Tasks and what "finished" means (readiness is tied to the supervisor's
 * run number, never to clocks of two processes):
 *
 *   START     start the instance; finished when a run begun after the task
 *             is online and ready (and serving, app_expects_serving), or
 *             it rests (stopped, errored) or crashed and waits to restart:
 *             a failure when errored, or when the app had to signal or
 *             serve first (app_needs_ready)
 *   RESTART   the same after a restart (the old run is stopped first)
 *   SETTLE    no action (the instance was just created): the same wait
 *   STOP      stop it; finished when it rests or has no supervisor
 *   DELETE    delete it; finished when it is gone from the registry
 *   REQUEST   send a command to its supervisor; finished on the answer
 *   RELOAD    zero-downtime replacement: a new supervisor starts on the
 *             same sockets; once it is ready it takes over and the old one
 *             is stopped (kill_timeout, then SIGKILL); an app whose sockets
 *             the daemon does not hold, or an instance with no run to keep
 *             serving (errored, waiting), is restarted instead. A replacement
 *             that exits or misses listen_timeout fails the task and the
 *             old supervisor keeps serving
 *   SWAP      move to the app's new configuration: stop the run on the old
 *             supervisor, start a new supervisor (the spec is built from
 *             the new config), wait as START
 *
 * Ownership: the engine owns ops (in d->ops) and frees each one right
 * after its done callback returns. Tasks hold instance ids: an instance
 * removed meanwhile ends its task. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon.h"

struct client;
struct op;

enum task_kind {
    TASK_START,
    TASK_RESTART,
    TASK_SETTLE,
    TASK_STOP,
    TASK_DELETE,
    TASK_REQUEST,
    TASK_RELOAD,
    TASK_SWAP,
};

enum task_result {
    TASK_PENDING,   /* not begun (parallel limit) */
    TASK_RUNNING,   /* begun, not finished */
    TASK_OK,        /* got where it should */
    TASK_FAILED,    /* message says why */
    TASK_TIMED_OUT, /* its deadline passed */
    TASK_SKIPPED,   /* nothing to do (gone, already replaced), or the op aborted */
};

struct task {
    int64_t id;
    enum task_kind kind;
    enum task_result result;
    int phase;            /* inside RELOAD and SWAP */
    int64_t gen0, run0;   /* where the instance stood when the wait began */
    int64_t deadline;     /* mono ms */
    struct suplink *repl; /* RELOAD, SWAP: the new supervisor until it takes over */
    int old_pidfd;        /* RELOAD: the old supervisor, draining */
    const char *request;  /* REQUEST: the command (a string constant) */
    int restart_counted;  /* SWAP: the run was stopped on the user's behalf */
    int replaced;         /* RELOAD: handed over without downtime (else restarted) */
    char message[320];
};

typedef void (*op_done_cb)(struct daemon *d, struct op *op);

struct op {
    struct op *next;
    struct daemon *d;
    struct client *client; /* NULL once the CLI went away */
    uint64_t seq;          /* unique, for callbacks that must find the op again */
    struct task *tasks;
    size_t n_tasks, cap_tasks;
    size_t parallel; /* RELOAD tasks in flight at once; 0: all (other tasks all begin at once) */
    int stop_on_failure; /* a failed RELOAD skips the RELOAD tasks not begun yet */
    int running;         /* op_run was called */
    int64_t timer;       /* the nearest deadline */
    op_done_cb done;
    void *data;
    json_t *extra; /* fields merged into the reply, owned */
};

/* Registers an empty op; c may be NULL (no CLI waits). Returns NULL on
 * allocation failure. */
struct op *op_new(struct daemon *d, struct client *c, op_done_cb done, void *data);

/* Adds a task for inst. Returns 0 or -ENOMEM. */
int op_add(struct op *op, struct inst *inst, enum task_kind kind);

/* Adds a REQUEST task: cmd (a string constant) to inst's supervisor. */
int op_add_request(struct op *op, struct inst *inst, const char *cmd);

/* Begins the tasks; the op may finish (done called, op freed) before this
 * returns: the caller must not use op afterwards. */
void op_run(struct op *op);

/* Drops an op that was never run (building it failed). */
void op_discard(struct op *op);

/* Advances every running op. */
void ops_poll(struct daemon *d);

/* The CLI of c disconnected: its ops keep running but will not reply. */
void ops_client_gone(struct daemon *d, struct client *c);

/* Frees every op without calling them (daemon exit). */
void ops_free_all(struct daemon *d);

/* True when some task of op did not end well (failed or timed out). */
int op_failed(const struct op *op);
