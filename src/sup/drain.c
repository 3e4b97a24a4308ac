/* drain.c - draining a run before its stop signal (drain.h). */
#include "sup/drain.h"
#include "base/fdutil.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/procfs.h"
#include "base/timeutil.h"
#include "config/listen_addr.h"
#include "proto/drain.h"
#include "sup/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int proc_alive(const struct drain_proc *p)
{
    struct proc_stat st;
    return proc_read_stat(p->pid, &st) == 0 && st.start_time == p->start_time && st.state != 'Z';
}

int drain_register(struct drain *dr, const struct proc_tree *tree, pid_t pid)
{
    struct proc_stat st;
    if (!tree_contains(tree, pid) || proc_read_stat(pid, &st) < 0)
        return -ESRCH;
    struct drain_proc p = {pid, st.start_time};
    size_t k = 0;
    for (size_t i = 0; i < dr->n_procs; i++) {
        if (dr->procs[i].pid == pid)
            continue; /* the same pid again: the newest wins */
        if (proc_alive(&dr->procs[i]))
            dr->procs[k++] = dr->procs[i];
    }
    dr->n_procs = k;
    if (dr->n_procs >= DRAIN_MAX_PROCS)
        return -ENOSPC;
    dr->procs[dr->n_procs++] = p;
    return 0;
}

int drain_begin(struct drain *dr, const int *listen_fds, int n)
{
    int queue_first = dr->queue_first;
    drain_end(dr);
    for (int i = 0; i < n && dr->n_fds < SPEC_MAX_LISTEN_FDS; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        struct listen_addr a;
        if (getsockname(listen_fds[i], (struct sockaddr *)&ss, &len) < 0 ||
            listen_addr_from_sockaddr((struct sockaddr *)&ss, len, &a) < 0)
            continue;
        int copy = fcntl(listen_fds[i], F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
            continue;
        dr->fds[dr->n_fds++] = copy;
        int known = 0;
        for (size_t k = 0; k < dr->n_ports; k++)
            known |= dr->ports[k] == a.port;
        if (!known && dr->n_ports < CONNS_MAX_PORTS)
            dr->ports[dr->n_ports++] = a.port;
    }
    if (dr->n_fds == 0)
        return 0;
    dr->step = queue_first ? DRAIN_QUEUE : DRAIN_CONNECTIONS;
    return 1;
}

/* Is /proc/<pid>/status's SigCgt showing sig caught? */
static int catches(pid_t pid, int sig)
{
    char path[64], *text = NULL;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (read_file_at(AT_FDCWD, path, 1 << 16, &text, NULL) < 0)
        return 0;
    const char *line = strstr(text, "\nSigCgt:");
    unsigned long long mask = line ? strtoull(line + 8, NULL, 16) : 0;
    free(text);
    return (mask >> (sig - 1)) & 1;
}

/* DRAIN_SIGNAL to every thread of p: a thread blocked in accept() must be
 * interrupted to restart on the socket the shim put in place. */
static int signal_threads(const struct drain_proc *p)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)p->pid);
    DIR *d = opendir(path);
    if (!d)
        return -ESRCH;
    int sent = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int tid = atoi(de->d_name);
        if (tid > 0 && syscall(SYS_tgkill, (int)p->pid, tid, DRAIN_SIGNAL) == 0)
            sent = 1;
    }
    closedir(d);
    return sent ? 0 : -ESRCH;
}

/* Step 2: the registered processes still in the tree that still catch the
 * signal (one that exec'd since lost the handler: the signal would kill it). */
static void signal_registered(struct drain *dr, const struct proc_tree *tree)
{
    for (size_t i = 0; i < dr->n_procs; i++) {
        const struct drain_proc *p = &dr->procs[i];
        if (proc_alive(p) && tree_contains(tree, p->pid) && catches(p->pid, DRAIN_SIGNAL) &&
            signal_threads(p) == 0)
            dr->signalled++;
    }
}

static int queues_empty(const struct drain *dr)
{
    for (int i = 0; i < dr->n_fds; i++)
        if (conns_accept_queue(dr->fds[i]) > 0)
            return 0;
    return 1;
}

int drain_poll(struct drain *dr, const struct proc_tree *tree)
{
    if (dr->step == DRAIN_IDLE)
        return 0;
    if (dr->step == DRAIN_QUEUE) {
        int64_t now = mono_ms();
        if (!queues_empty(dr)) {
            dr->queue_empty_since = 0;
            return 1;
        }
        if (!dr->queue_empty_since)
            dr->queue_empty_since = now;
        if (now - dr->queue_empty_since < DRAIN_QUEUE_QUIET_MS)
            return 1;
        dr->step = DRAIN_CONNECTIONS;
    }
    if (!dr->signalled)
        signal_registered(dr, tree);
    if (dr->scan_failed)
        return 1; /* nothing to count with: the timeout decides */
    struct conns_count count;
    int r = conns_scan(tree, dr->ports, dr->n_ports, &dr->cut, &count);
    if (r < 0) {
        log_warn_errno(r, "cannot list the app's connections (sock_diag): draining until "
                          "drain_timeout");
        dr->scan_failed = 1;
        return 1;
    }
    return count.open > 0;
}

void drain_end(struct drain *dr)
{
    for (int i = 0; i < dr->n_fds; i++)
        close(dr->fds[i]);
    dr->n_fds = 0;
    dr->n_ports = 0;
    dr->step = DRAIN_IDLE;
    dr->queue_first = 0;
    dr->queue_empty_since = 0;
    dr->signalled = 0;
    dr->cut.n = 0;
    dr->scan_failed = 0;
}
