/* conns.c - the app's connections on its ports (conns.h). */
#include "sup/conns.h"
#include "base/macros.h"
#include "base/pidfd.h"
#include "sup/tree.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PIDS 256
#define MAX_SOCKETS 8192

/* The kernel's sock_diag ABI (linux/netlink.h, linux/sock_diag.h,
 * linux/inet_diag.h, linux/tcp.h), spelled out here: the supervisor is
 * built against musl, which ships no kernel headers. */
#define DIAG_NETLINK_SOCK_DIAG 4
#define DIAG_SOCK_DIAG_BY_FAMILY 20
#define DIAG_NLM_F_REQUEST 0x1
#define DIAG_NLM_F_DUMP 0x300
#define DIAG_NLMSG_ERROR 2
#define DIAG_NLMSG_DONE 3
#define DIAG_INET_DIAG_INFO 2
#define DIAG_ALIGN(len) (((len) + 3u) & ~3u)

enum {
    TCPS_ESTABLISHED = 1,
    TCPS_FIN_WAIT1 = 4,
    TCPS_FIN_WAIT2 = 5,
    TCPS_CLOSE_WAIT = 8,
    TCPS_LAST_ACK = 9,
    TCPS_CLOSING = 11,
};

struct diag_nlmsghdr {
    uint32_t len;
    uint16_t type, flags;
    uint32_t seq, pid;
};

struct diag_sockid {
    uint16_t sport, dport; /* network byte order */
    uint32_t src[4], dst[4];
    uint32_t ifindex;
    uint32_t cookie[2];
};

struct diag_req {
    uint8_t family, protocol, ext, pad;
    uint32_t states;
    struct diag_sockid id;
};

struct diag_msg {
    uint8_t family, state, timer, retrans;
    struct diag_sockid id;
    uint32_t expires, rqueue, wqueue, uid, inode;
};

struct diag_rtattr {
    uint16_t len, type;
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

struct sock_ref {
    uint64_t inode;
    pid_t pid;
    int fd;
};

static int by_inode(const void *a, const void *b)
{
    const struct sock_ref *x = a, *y = b;
    return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* The sockets the tree's processes hold, sorted by inode. */
static size_t tree_sockets(const struct proc_tree *tree, struct sock_ref *out, size_t max)
{
    pid_t pids[MAX_PIDS];
    size_t n_pids = tree_pids(tree, pids, MAX_PIDS), n = 0;
    for (size_t i = 0; i < n_pids && n < max; i++) {
        char path[64], link[64];
        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pids[i]);
        DIR *d = opendir(path);
        if (!d)
            continue;
        struct dirent *de;
        while (n < max && (de = readdir(d))) {
            ssize_t l = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
            unsigned long long inode;
            if (l <= 0)
                continue;
            link[l] = '\0';
            if (sscanf(link, "socket:[%llu]", &inode) == 1)
                out[n++] = (struct sock_ref){inode, pids[i], atoi(de->d_name)};
        }
        closedir(d);
    }
    qsort(out, n, sizeof(*out), by_inode);
    return n;
}

static int port_wanted(uint16_t port, const uint16_t *ports, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ports[i] == port)
            return 1;
    return 0;
}

static int already_cut(const struct conns_cut *cut, uint64_t inode)
{
    for (size_t i = 0; i < cut->n; i++)
        if (cut->inodes[i] == inode)
            return 1;
    return 0;
}

/* A request boundary: the client sent data, the app read all of it and
 * wrote after it (conns.h). The answer may still sit unacknowledged in the
 * send queue (a client acknowledges with its next request): the shutdown
 * does not touch it, the app's FIN follows it. */
static int at_boundary(const struct diag_msg *m, const struct diag_tcp_info *ti, size_t ti_len)
{
    if (m->state != TCPS_ESTABLISHED || m->rqueue ||
        ti_len < offsetof(struct diag_tcp_info, bytes_received) + sizeof(ti->bytes_received))
        return 0;
    return ti->bytes_received > 0 && ti->bytes_acked > 0 &&
           ti->last_data_sent <= ti->last_data_recv;
}

/* Shuts the connection down for reading through a copy of the app's fd.
 * Returns 0 or a negative errno (-EPERM: no ptrace access to the app). */
static int cut_connection(const struct sock_ref *ref)
{
    int pidfd = pidfd_open_cloexec(ref->pid);
    if (pidfd < 0)
        return pidfd;
    int copy = (int)syscall(SYS_pidfd_getfd, pidfd, ref->fd, 0);
    int r = copy < 0 ? neg_errno() : 0;
    close(pidfd);
    if (r < 0)
        return r;
    struct stat st;
    /* the fd may name another file by now */
    if (fstat(copy, &st) == 0 && (uint64_t)st.st_ino == ref->inode)
        r = shutdown(copy, SHUT_RD) < 0 ? neg_errno() : 0;
    close(copy);
    return r;
}

struct scan {
    const struct sock_ref *socks;
    size_t n_socks;
    const uint16_t *ports;
    size_t n_ports;
    struct conns_cut *cut;
    struct conns_count *out;
};

static void visit(struct scan *sc, const struct diag_msg *m, const struct diag_tcp_info *ti,
                  size_t ti_len)
{
    if (!port_wanted(ntohs(m->id.sport), sc->ports, sc->n_ports) || m->inode == 0)
        return;
    struct sock_ref key = {.inode = m->inode};
    const struct sock_ref *ref = bsearch(&key, sc->socks, sc->n_socks, sizeof(key), by_inode);
    if (!ref)
        return; /* another worker's, or the client's end */
    sc->out->open++;
    if (!sc->cut || !ti || already_cut(sc->cut, m->inode) || !at_boundary(m, ti, ti_len))
        return;
    if (cut_connection(ref) == 0) {
        sc->out->cut++;
        if (sc->cut->n < CONNS_MAX_CUT)
            sc->cut->inodes[sc->cut->n++] = m->inode;
    }
}

/* Walks one sock_diag reply buffer; returns 1 when the dump is done. */
static int walk(struct scan *sc, const char *buf, size_t len, int *err)
{
    size_t off = 0;
    while (off + sizeof(struct diag_nlmsghdr) <= len) {
        const struct diag_nlmsghdr *h = (const void *)(buf + off);
        if (h->len < sizeof(*h) || off + h->len > len)
            return *err = -EPROTO, 1;
        if (h->type == DIAG_NLMSG_DONE)
            return 1;
        if (h->type == DIAG_NLMSG_ERROR) {
            const int32_t *e = (const void *)(h + 1);
            *err = h->len >= sizeof(*h) + sizeof(*e) && *e < 0 ? *e : -EPROTO;
            return 1;
        }
        size_t body = sizeof(*h), end = h->len;
        if (body + sizeof(struct diag_msg) <= end) {
            const struct diag_msg *m = (const void *)(buf + off + body);
            const struct diag_tcp_info *ti = NULL;
            size_t ti_len = 0;
            size_t a = body + DIAG_ALIGN(sizeof(*m));
            while (a + sizeof(struct diag_rtattr) <= end) {
                const struct diag_rtattr *rta = (const void *)(buf + off + a);
                if (rta->len < sizeof(*rta) || a + rta->len > end)
                    break;
                if (rta->type == DIAG_INET_DIAG_INFO) {
                    ti = (const void *)(rta + 1);
                    ti_len = rta->len - sizeof(*rta);
                }
                a += DIAG_ALIGN(rta->len);
            }
            struct diag_tcp_info copy;
            memset(&copy, 0, sizeof(copy));
            if (ti)
                memcpy(&copy, ti, MIN(ti_len, sizeof(copy)));
            visit(sc, m, ti ? &copy : NULL, ti_len);
        }
        off += DIAG_ALIGN(h->len);
    }
    return 0;
}

static int dump_family(struct scan *sc, int family)
{
    int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, DIAG_NETLINK_SOCK_DIAG);
    if (s < 0)
        return neg_errno();
    struct {
        struct diag_nlmsghdr h;
        struct diag_req r;
    } req;
    memset(&req, 0, sizeof(req));
    req.h.len = sizeof(req);
    req.h.type = DIAG_SOCK_DIAG_BY_FAMILY;
    req.h.flags = DIAG_NLM_F_REQUEST | DIAG_NLM_F_DUMP;
    req.h.seq = 1;
    req.r.family = (uint8_t)family;
    req.r.protocol = IPPROTO_TCP;
    req.r.ext = 1u << (DIAG_INET_DIAG_INFO - 1);
    req.r.states = 1u << TCPS_ESTABLISHED | 1u << TCPS_FIN_WAIT1 | 1u << TCPS_FIN_WAIT2 |
                   1u << TCPS_CLOSE_WAIT | 1u << TCPS_LAST_ACK | 1u << TCPS_CLOSING;
    int err = 0;
    if (send(s, &req, sizeof(req), 0) < 0) {
        err = neg_errno();
        close(s);
        return err;
    }
    static char buf[32768] __attribute__((aligned(8)));
    for (;;) {
        ssize_t n = recv(s, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? neg_errno() : -EPROTO;
            break;
        }
        if (walk(sc, buf, (size_t)n, &err))
            break;
    }
    close(s);
    return err;
}

int conns_scan(const struct proc_tree *tree, const uint16_t *ports, size_t n_ports,
               struct conns_cut *cut, struct conns_count *out)
{
    memset(out, 0, sizeof(*out));
    struct sock_ref *socks = malloc(MAX_SOCKETS * sizeof(*socks));
    if (!socks)
        return -ENOMEM;
    struct scan sc = {socks, tree_sockets(tree, socks, MAX_SOCKETS), ports, n_ports, cut, out};
    int r = 0;
    if (sc.n_socks > 0) {
        r = dump_family(&sc, AF_INET);
        int r6 = dump_family(&sc, AF_INET6);
        if (r == 0)
            r = r6;
    }
    free(socks);
    return r;
}

int conns_accept_queue(int listen_fd)
{
    struct diag_tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return neg_errno();
    /* for a listening socket, unacked is its accept queue (sk_ack_backlog) */
    return (int)ti.unacked;
}
