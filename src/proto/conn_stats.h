/* conn_stats.h - the page of connection counters an instance's supervisor
 * shares with the preload shim of its app and with the daemon
 * (docs/architecture.md, "Connection stats").
 *
 * The supervisor of a shim app makes the page once (a sealed memfd of
 * CONN_STATS_SIZE bytes) and hands it out: to the shim through its broker
 * (cmd=stats, sup/broker.h) and to the daemon through its control socket
 * (cmd=conn_stats). The shim counts, in the app's own process, every
 * connection accept() or accept4() returns on a shared listening socket:
 * one relaxed atomic add, no system call. Forked workers inherit the
 * mapping, so the count is the instance's whole tree. The daemon maps the
 * page read-only and reads it when it samples (daemon/state/stats.h).
 *
 * The counters live as long as the supervisor: they survive the app's
 * restarts and a new daemon, and start again at 0 with a new supervisor
 * (a reload). Everything in the page is written by the app's processes,
 * so a reader trusts nothing but its size: a wild value is a wild
 * count, never a wild pointer. */
#pragma once

#include <stdint.h>

#define CONN_STATS_MAGIC 0x64727663u /* "drvc" */
#define CONN_STATS_VERSION 1u
#define CONN_STATS_SIZE 4096u

struct conn_stats {
    uint32_t magic;
    uint32_t version;
    uint64_t accepted; /* connections accepted on shared sockets */
};

/* Creates a page: a close-on-exec memfd (*fd) of CONN_STATS_SIZE, sealed
 * against resizing, mapped shared and writable at *out with its header
 * set. Returns 0 or a negative errno (nothing is left behind). */
int conn_stats_create(int *fd, struct conn_stats **out);

/* Maps a page received as fd (not closed: the caller closes it), writable
 * when writable is set. Returns 0 with *out set, or -EINVAL when fd is not
 * such a page (too small, wrong magic or version), or a negative errno. */
int conn_stats_map(int fd, int writable, struct conn_stats **out);

/* Unmaps a page from conn_stats_create or conn_stats_map; NULL is ignored. */
void conn_stats_unmap(struct conn_stats *page);

/* The accepted count, read with a relaxed atomic load. */
static inline uint64_t conn_stats_accepted(const struct conn_stats *page)
{
    return __atomic_load_n(&page->accepted, __ATOMIC_RELAXED);
}
