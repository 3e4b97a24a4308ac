/* sockdiag.h - the TCP connections of the machine's (network namespace's)
 * processes, from the kernel's sock_diag netlink interface, which any user
 * may read, and the socket fds of a process, from /proc/<pid>/fd.
 *
 * The kernel ABI (linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h,
 * linux/tcp.h) is spelled out here: the supervisor is built against musl,
 * which ships no kernel headers. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
    TCPS_ESTABLISHED = 1,
    TCPS_FIN_WAIT1 = 4,
    TCPS_FIN_WAIT2 = 5,
    TCPS_CLOSE_WAIT = 8,
    TCPS_LAST_ACK = 9,
    TCPS_CLOSING = 11,
};

/* Every state of a connection some process still holds open (not listening,
 * not TIME_WAIT): the bits for sockdiag_dump_tcp's states. */
#define SOCKDIAG_HELD_STATES                                                                       \
    (1u << TCPS_ESTABLISHED | 1u << TCPS_FIN_WAIT1 | 1u << TCPS_FIN_WAIT2 |                        \
     1u << TCPS_CLOSE_WAIT | 1u << TCPS_LAST_ACK | 1u << TCPS_CLOSING)

struct diag_sockid {
    uint16_t sport, dport; /* network byte order */
    uint32_t src[4], dst[4];
    uint32_t ifindex;
    uint32_t cookie[2];
};

struct diag_msg {
    uint8_t family, state, timer, retrans;
    struct diag_sockid id;
    uint32_t expires, rqueue, wqueue, uid, inode;
};

/* The start of the kernel's struct tcp_info, as far as we read it. */
struct diag_tcp_info {
    uint8_t state, ca_state, retransmits, probes, backoff, options, wscale, flags;
    uint32_t rto, ato, snd_mss, rcv_mss;
    uint32_t unacked, sacked, lost, retrans, fackets;
    uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
    uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
    uint32_t rcv_rtt, rcv_space;
    uint32_t total_retrans;
    uint64_t pacing_rate, max_pacing_rate;
    uint64_t bytes_acked, bytes_received;
};

/* Called for each socket of a dump: ti is the socket's tcp_info (zero past
 * what the kernel sent, ti_len bytes) or NULL when it sent none. */
typedef void (*sockdiag_visit_fn)(const struct diag_msg *m, const struct diag_tcp_info *ti,
                                  size_t ti_len, void *data);

/* Dumps the TCP sockets of family (AF_INET or AF_INET6) whose state is in
 * the states bit set, calling visit for each. Returns 0 or a negative
 * errno (the visits made stand). */
int sockdiag_dump_tcp(int family, uint32_t states, sockdiag_visit_fn visit, void *data);

/* A socket a process holds. */
struct sockdiag_ref {
    uint64_t inode;
    pid_t pid;
    int fd;
};

/* Appends the sockets pid holds (from /proc/<pid>/fd) to out[*n..max),
 * advancing *n; a process that is gone or hidden adds nothing. */
void sockdiag_proc_sockets(pid_t pid, struct sockdiag_ref *out, size_t *n, size_t max);

/* Sorts refs by inode, for sockdiag_find. */
void sockdiag_sort(struct sockdiag_ref *refs, size_t n);

/* The ref of inode in refs sorted by sockdiag_sort, or NULL. */
const struct sockdiag_ref *sockdiag_find(const struct sockdiag_ref *refs, size_t n, uint64_t inode);
