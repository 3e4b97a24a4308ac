/* reuseport_prog.h - programs the daemon attaches to the SO_REUSEPORT
 * group of a slots or sticky app (one socket per instance slot, see
 * listeners.h). One program per group: the last attached wins.
 *
 * sticky (balancing "sticky"): a classic BPF program (any user may attach
 * one, SO_ATTACH_REUSEPORT_CBPF) hashing the source address (IPv4, or the
 * four words of an IPv6 address) to an index hash % n into the group. A
 * slot's socket stays in the group across reloads (the replacement
 * inherits it), so a client keeps its slot; when the group changes size
 * (scale), clients are spread again. Behind a proxy every client has the
 * proxy's address: stickiness then holds per proxy, not per user.
 *
 * migrate (balancing "slots"): an eBPF program of attach type
 * SELECT_OR_MIGRATE that selects nothing (the kernel's hash still picks the
 * socket) but turns on, for this group only, what net.ipv4.tcp_migrate_req
 * turns on for everyone: connections queued on a socket that closes (a
 * slot removed by scale down) move to another socket of the group instead
 * of being reset. Loading it needs CAP_BPF and CAP_NET_ADMIN (a root
 * daemon); otherwise the sysctl decides. */
#pragma once

/* Attaches the sticky program for a group of n sockets to fd (one socket
 * of the group). Returns 0 or a negative errno. */
int reuseport_attach_sticky(int fd, unsigned n);

/* Attaches the migrate program to fd's group. Returns 0, or a negative
 * errno (-EPERM without the capabilities). */
int reuseport_attach_migrate(int fd);
