/* conns.c - the app's connections on its ports (conns.h). */
#include "sup/conns.h"
#include "base/macros.h"
#include "base/pidfd.h"
#include "base/sockdiag.h"
#include "sup/tree.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PIDS 256
#define MAX_SOCKETS 8192

/* The sockets the tree's processes hold, sorted by inode. */
static size_t tree_sockets(const struct proc_tree *tree, struct sockdiag_ref *out, size_t max)
{
    pid_t pids[MAX_PIDS];
    size_t n_pids = tree_pids(tree, pids, MAX_PIDS), n = 0;
    for (size_t i = 0; i < n_pids && n < max; i++)
        sockdiag_proc_sockets(pids[i], out, &n, max);
    sockdiag_sort(out, n);
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
static int cut_connection(const struct sockdiag_ref *ref)
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
    const struct sockdiag_ref *socks;
    size_t n_socks;
    const uint16_t *ports;
    size_t n_ports;
    struct conns_cut *cut;
    struct conns_count *out;
};

static void visit(const struct diag_msg *m, const struct diag_tcp_info *ti, size_t ti_len,
                  void *data)
{
    struct scan *sc = data;
    if (!port_wanted(ntohs(m->id.sport), sc->ports, sc->n_ports) || m->inode == 0)
        return;
    const struct sockdiag_ref *ref = sockdiag_find(sc->socks, sc->n_socks, m->inode);
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

int conns_scan(const struct proc_tree *tree, const uint16_t *ports, size_t n_ports,
               struct conns_cut *cut, struct conns_count *out)
{
    memset(out, 0, sizeof(*out));
    struct sockdiag_ref *socks = malloc(MAX_SOCKETS * sizeof(*socks));
    if (!socks)
        return -ENOMEM;
    struct scan sc = {socks, tree_sockets(tree, socks, MAX_SOCKETS), ports, n_ports, cut, out};
    int r = 0;
    if (sc.n_socks > 0) {
        r = sockdiag_dump_tcp(AF_INET, SOCKDIAG_HELD_STATES, visit, &sc);
        int r6 = sockdiag_dump_tcp(AF_INET6, SOCKDIAG_HELD_STATES, visit, &sc);
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
