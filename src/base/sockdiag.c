/* sockdiag.c - TCP connections from sock_diag, sockets from /proc (sockdiag.h). */
#include "base/sockdiag.h"
#include "base/macros.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DIAG_NETLINK_SOCK_DIAG 4
#define DIAG_SOCK_DIAG_BY_FAMILY 20
#define DIAG_NLM_F_REQUEST 0x1
#define DIAG_NLM_F_DUMP 0x300
#define DIAG_NLMSG_ERROR 2
#define DIAG_NLMSG_DONE 3
#define DIAG_INET_DIAG_INFO 2
#define DIAG_ALIGN(len) (((len) + 3u) & ~3u)

struct diag_nlmsghdr {
    uint32_t len;
    uint16_t type, flags;
    uint32_t seq, pid;
};

struct diag_req {
    uint8_t family, protocol, ext, pad;
    uint32_t states;
    struct diag_sockid id;
};

struct diag_rtattr {
    uint16_t len, type;
};

/* Walks one reply buffer; returns 1 when the dump is done. */
static int walk(const char *buf, size_t len, sockdiag_visit_fn visit, void *data, int *err)
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
            visit(m, ti ? &copy : NULL, ti_len, data);
        }
        off += DIAG_ALIGN(h->len);
    }
    return 0;
}

int sockdiag_dump_tcp(int family, uint32_t states, sockdiag_visit_fn visit, void *data)
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
    req.r.states = states;
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
        if (walk(buf, (size_t)n, visit, data, &err))
            break;
    }
    close(s);
    return err;
}

void sockdiag_proc_sockets(pid_t pid, struct sockdiag_ref *out, size_t *n, size_t max)
{
    char path[64], link[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    while (*n < max && (de = readdir(d))) {
        ssize_t l = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
        unsigned long long inode;
        if (l <= 0)
            continue;
        link[l] = '\0';
        if (sscanf(link, "socket:[%llu]", &inode) == 1)
            out[(*n)++] = (struct sockdiag_ref){inode, pid, atoi(de->d_name)};
    }
    closedir(d);
}

static int by_inode(const void *a, const void *b)
{
    const struct sockdiag_ref *x = a, *y = b;
    return x->inode < y->inode ? -1 : x->inode > y->inode;
}

void sockdiag_sort(struct sockdiag_ref *refs, size_t n)
{
    qsort(refs, n, sizeof(*refs), by_inode);
}

const struct sockdiag_ref *sockdiag_find(const struct sockdiag_ref *refs, size_t n, uint64_t inode)
{
    struct sockdiag_ref key = {.inode = inode};
    return n ? bsearch(&key, refs, n, sizeof(key), by_inode) : NULL;
}
