/* drain.h - letting a worker finish what it accepted before its stop signal
 * (docs/architecture.md, "Draining"): the first sub-phase of the stopping
 * states (sup/instance.h), bounded by drain_timeout.
 *
 *   1. retiring sockets (queue_first: the daemon took them out of their
 *      SO_REUSEPORT group, so no new connection comes to them): wait until
 *      their accept queues have been empty for DRAIN_QUEUE_QUIET_MS; the
 *      app keeps accepting from them meanwhile, so nothing queued is lost
 *      when they close;
 *   2. the processes the shim registered (proto/drain.h) get DRAIN_SIGNAL,
 *      every thread of them: they stop taking connections from the
 *      shared queue, which the other workers keep serving;
 *   3. wait until the tree holds no connection on the app's ports
 *      (sup/conns.h), closing idle keep-alive ones at a request boundary.
 * An app without the shim (a static binary on LISTEN_FDS) skips step 2:
 * its connections are waited for, but it keeps accepting meanwhile. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/spec.h"
#include "sup/conns.h"

struct proc_tree;

#define DRAIN_MAX_PROCS 64
#define DRAIN_TICK_MS 50
#define DRAIN_QUEUE_QUIET_MS 200

struct drain_proc {
    pid_t pid;
    uint64_t start_time;
};

enum drain_step { DRAIN_IDLE, DRAIN_QUEUE, DRAIN_CONNECTIONS };

struct drain {
    /* processes the shim registered (broker "drainable") */
    struct drain_proc procs[DRAIN_MAX_PROCS];
    size_t n_procs;
    /* the next stop retires the sockets (the daemon's stop or delete
     * request says so) */
    int queue_first;

    /* the drain under way */
    enum drain_step step;
    int fds[SPEC_MAX_LISTEN_FDS]; /* copies of the listening sockets */
    int n_fds;
    uint16_t ports[CONNS_MAX_PORTS];
    size_t n_ports;
    int64_t queue_empty_since; /* mono ms, 0: not empty */
    size_t signalled;          /* processes sent DRAIN_SIGNAL */
    struct conns_cut cut;
    int scan_failed; /* sock_diag said no: waiting is pointless */
};

/* Remembers pid (a process of the tree, from the broker) as drainable.
 * Returns 0, or -ENOSPC when the list is full of live processes. */
int drain_register(struct drain *dr, const struct proc_tree *tree, pid_t pid);

/* Starts draining the run that holds listen_fds[0..n) (copied: the caller
 * may close its own). Returns 1 when there is something to drain, 0 when
 * not (no socket). */
int drain_begin(struct drain *dr, const int *listen_fds, int n);

/* One step (call every DRAIN_TICK_MS). Returns 1 while the drain goes on,
 * 0 once it is done. */
int drain_poll(struct drain *dr, const struct proc_tree *tree);

/* Ends the drain (done, timed out, or the run exited): closes the copies;
 * queue_first is cleared (it was for this stop). */
void drain_end(struct drain *dr);
