/* serve_probe.c - is the app serving the sockets it inherited?
 * (serve_probe.h) */
#include "sup/serve_probe.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "sup/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PROBE_MAX_PIDS 256
#define PROBE_MAX_FDS 64 /* of one process that refer to our sockets */
#define PROBE_MAX_POLLFDS 1024

/* The fds of one process: those that are our sockets, and its epoll sets. */
struct proc_fds {
    int ours[PROBE_MAX_FDS];
    size_t n_ours;
    int epolls[PROBE_MAX_FDS];
    size_t n_epolls;
};

static int is_ours(const struct proc_fds *p, long fd)
{
    for (size_t i = 0; i < p->n_ours; i++)
        if (p->ours[i] == fd)
            return 1;
    return 0;
}

/* Sorts out the fds of pid that matter. */
static void scan_fds(pid_t pid, const ino_t *sockets, size_t n_sockets, struct proc_fds *p)
{
    char path[64], link[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long fd = strtol(de->d_name, &end, 10);
        if (*end || end == de->d_name)
            continue;
        ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
        if (n <= 0)
            continue;
        link[n] = '\0';
        unsigned long long ino;
        if (sscanf(link, "socket:[%llu]", &ino) == 1) {
            for (size_t i = 0; i < n_sockets; i++)
                if ((ino_t)ino == sockets[i] && p->n_ours < PROBE_MAX_FDS)
                    p->ours[p->n_ours++] = (int)fd;
        } else if (strcmp(link, "anon_inode:[eventpoll]") == 0 && p->n_epolls < PROBE_MAX_FDS) {
            p->epolls[p->n_epolls++] = (int)fd;
        }
    }
    closedir(d);
}

/* One of our sockets is in one of the process's epoll sets. */
static int epoll_watches(pid_t pid, const struct proc_fds *p)
{
    for (size_t i = 0; i < p->n_epolls; i++) {
        char path[64], *text = NULL;
        snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, p->epolls[i]);
        if (read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0)
            continue;
        int found = 0;
        for (const char *l = strstr(text, "tfd:"); l && !found; l = strstr(l + 4, "tfd:")) {
            long tfd = strtol(l + 4, NULL, 10);
            found = is_ours(p, tfd);
        }
        free(text);
        if (found)
            return 1;
    }
    return 0;
}

static int read_mem(pid_t pid, uintptr_t addr, void *buf, size_t len)
{
    struct iovec local = {buf, len}, remote = {(void *)addr, len};
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EIO;
}

static int pollfds_wait(pid_t pid, const struct proc_fds *p, uintptr_t fds, unsigned long nfds)
{
    if (nfds == 0 || nfds > PROBE_MAX_POLLFDS)
        return 0;
    struct pollfd *set = malloc(nfds * sizeof(*set));
    int found = 0;
    if (set && read_mem(pid, fds, set, nfds * sizeof(*set)) == 0)
        for (unsigned long i = 0; i < nfds && !found; i++)
            found = (set[i].events & POLLIN) && is_ours(p, set[i].fd);
    free(set);
    return found;
}

static int select_waits(pid_t pid, const struct proc_fds *p, unsigned long nfds, uintptr_t readfds)
{
    if (!readfds || nfds == 0 || nfds > FD_SETSIZE)
        return 0;
    fd_set set;
    size_t bytes = (nfds + 7) / 8;
    memset(&set, 0, sizeof(set));
    if (read_mem(pid, readfds, &set, bytes) < 0)
        return 0;
    for (size_t i = 0; i < p->n_ours; i++)
        if ((unsigned long)p->ours[i] < nfds && FD_ISSET(p->ours[i], &set))
            return 1;
    return 0;
}

/* One thread is blocked waiting on one of our sockets. */
static int thread_waits(pid_t pid, const char *tid, const struct proc_fds *p)
{
    char path[96], *text = NULL;
    snprintf(path, sizeof(path), "/proc/%d/task/%s/syscall", (int)pid, tid);
    if (read_file_at(AT_FDCWD, path, 512, &text, NULL) < 0)
        return 0;
    long nr = -1;
    unsigned long long a[6] = {0};
    int n = sscanf(text, "%ld %llx %llx %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2], &a[3],
                   &a[4], &a[5]);
    free(text);
    if (n < 3)
        return 0;
#ifdef SYS_accept
    if (nr == SYS_accept)
        return is_ours(p, (long)a[0]);
#endif
    if (nr == SYS_accept4)
        return is_ours(p, (long)a[0]);
#ifdef SYS_poll
    if (nr == SYS_poll)
        return pollfds_wait(pid, p, (uintptr_t)a[0], (unsigned long)a[1]);
#endif
    if (nr == SYS_ppoll)
        return pollfds_wait(pid, p, (uintptr_t)a[0], (unsigned long)a[1]);
#ifdef SYS_select
    if (nr == SYS_select)
        return select_waits(pid, p, (unsigned long)a[0], (uintptr_t)a[1]);
#endif
    if (nr == SYS_pselect6)
        return select_waits(pid, p, (unsigned long)a[0], (uintptr_t)a[1]);
    return 0;
}

static int threads_wait(pid_t pid, const struct proc_fds *p)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *de;
    int found = 0;
    while (!found && (de = readdir(d)))
        if (de->d_name[0] != '.')
            found = thread_waits(pid, de->d_name, p);
    closedir(d);
    return found;
}

int serve_probe(const struct proc_tree *tree, const ino_t *sockets, size_t n_sockets)
{
    pid_t pids[PROBE_MAX_PIDS];
    size_t n = tree_pids(tree, pids, PROBE_MAX_PIDS);
    for (size_t i = 0; i < n; i++) {
        struct proc_fds p = {0};
        scan_fds(pids[i], sockets, n_sockets, &p);
        if (p.n_ours == 0)
            continue; /* the socket is not even here */
        if (epoll_watches(pids[i], &p) || threads_wait(pids[i], &p))
            return 1;
    }
    return 0;
}
