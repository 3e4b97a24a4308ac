/* shim.h - what the parts of libdrover-preload.so share inside the library
 * (nothing here is exported to the app: the library is built with hidden
 * visibility). preload.c intercepts the socket calls, drain.c takes the
 * process's shared sockets out of service on DRAIN_SIGNAL (proto/drain.h),
 * stats.c counts accepts (proto/conn_stats.h), least_conn.c the open
 * connections balancing least_conn weighs (proto/least_conn.h). */
#pragma once

#include <stddef.h>

#include "base/strbuf.h"
#include "proto/kv.h"

#define MAX_SHARED 64 /* shared sockets one process may hold */

/* Sends one kv request to the supervisor's broker (DROVER_BROKER) and waits
 * for its reply: *out (malloc'd, the caller frees) and an attached fd in
 * *fd (or -1). Returns 0, -ENOTCONN when there is no broker, or a negative
 * errno. */
int shim_broker_call(struct strbuf *req, char **out, size_t *out_len, int *fd);

/* Asks the broker for the fd of a request with no field but cmd ("stats",
 * "lc"). Returns the fd (the caller closes it) with the reply's fields in
 * *m, valid until the caller frees *reply (always set, maybe NULL), or a
 * negative errno (-EPROTO: no fd, or ok is not 1). errno is kept. */
int shim_broker_fd(const char *cmd, struct kv_msg *m, char **reply);

/* Remembers fd (and its socket's inode) as holding a shared socket. */
void shim_mark_shared(int fd);

/* Forgets fd. */
void shim_unmark_shared(int fd);

/* Copies the shared fds and their inodes (at most max) into fds[], inos[];
 * returns how many. Async-signal-safe. */
int shim_shared_fds(int *fds, unsigned long *inos, int max);

/* Maps the instance's connection counters (proto/conn_stats.h), once per
 * process image (a forked child shares its parent's mapping). Call after
 * the process got a shared socket; without a page (or with
 * DROVER_CONN_STATS=0 in the environment) nothing is counted. */
void shim_stats_attach(void);

/* Counts one connection accepted on a shared socket. Async-signal-safe,
 * no system call. */
void shim_stats_accepted(void);

/* Makes this process drainable, once: installs the DRAIN_SIGNAL handler
 * when the signal's disposition is SIG_DFL (never over the app's own) and
 * registers with the broker; a child forked later registers too. Call
 * after the process got a shared socket. */
void shim_drain_arm(void);

/* Maps the app's least_conn counts (broker cmd=lc), once per process
 * image; without them (another balancing) nothing is counted. Call after
 * the process got a shared socket. */
void shim_lc_attach(void);

/* fd was accepted on a shared socket: one more open connection. No system
 * call. */
void shim_lc_accepted(int fd);

/* fd is about to be closed (or replaced by dup2/dup3): one fewer when it
 * was an accepted connection. No system call. */
void shim_lc_closing(int fd);

/* The same for every fd in [first, last] (close_range). */
void shim_lc_closing_range(unsigned first, unsigned last);
