/* conns.h - the TCP connections an app's processes hold on its listening
 * ports, seen from outside the app: what a drain waits for (sup/drain.h).
 *
 * The sockets of the tree are found in /proc/<pid>/fd (socket inodes); the
 * connections, with their queues and timers (struct tcp_info), come from
 * the kernel's sock_diag netlink interface, which any user may read. A
 * connection counts while a process of the tree holds it and its local
 * port is one of the app's, whatever its state (the app has not closed it).
 *
 * An idle keep-alive connection would keep a drain waiting until the
 * client closes it. One that is at a request boundary is closed instead:
 * the client sent something and got an answer after it (its last data
 * sent no earlier than its last data received) and nothing it received
 * waits to be read (the answer may wait for the client's ACK: the FIN
 * follows it). It is shut down for reading through a copy
 * of the app's fd (pidfd_getfd), so the app reads end-of-input and closes
 * it as if the client had; a client that reuses it meanwhile gets a closed
 * connection and retries, as browsers do. Where the kernel refuses the
 * copy (no ptrace access to the app), connections are only waited for. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct proc_tree;

#define CONNS_MAX_PORTS 16
#define CONNS_MAX_CUT 1024 /* connections remembered as already closed */

struct conns_cut {
    uint64_t inodes[CONNS_MAX_CUT];
    size_t n;
};

struct conns_count {
    size_t open; /* connections the tree still holds on the ports */
    size_t cut;  /* of which closed at a boundary by this call */
};

/* Counts the connections of tree on ports[0..n_ports) (host byte order)
 * into *out; with cut non-NULL, also closes those at a request boundary
 * (remembered in *cut, so each is closed once). Returns 0 or a negative
 * errno (sock_diag unavailable: *out is then zero). */
int conns_scan(const struct proc_tree *tree, const uint16_t *ports, size_t n_ports,
               struct conns_cut *cut, struct conns_count *out);

/* Connections waiting in a listening socket's accept queue, or a negative
 * errno. */
int conns_accept_queue(int listen_fd);
