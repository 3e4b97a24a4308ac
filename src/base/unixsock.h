/* unixsock.h - AF_UNIX stream sockets for drover's control links.
 *
 * Paths longer than sun_path (108 bytes) are reached through
 * /proc/self/fd/<dirfd>/<name>, so a deep $DROVER_HOME still works.
 * Every socket is SOCK_CLOEXEC. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Creates a listening SOCK_STREAM socket at path with the given file mode
 * (a stale socket file at path is removed first). nonblock sets
 * SOCK_NONBLOCK on the listener. Returns the fd or a negative errno. */
int unix_listen(const char *path, mode_t mode, int nonblock);

/* Connects a SOCK_STREAM socket to path. Returns the fd (blocking unless
 * nonblock) or a negative errno (-ENOENT / -ECONNREFUSED when nobody
 * listens). */
int unix_connect(const char *path, int nonblock);

/* Returns 0 if the peer of fd runs as our uid or as root, -EPERM if not. The
 * peer's pid is stored in *pid when pid is not NULL. */
int unix_check_peer(int fd, pid_t *pid);

/* Sends len bytes (len >= 1) with n_fds descriptors attached (SCM_RIGHTS).
 * Returns bytes sent (maybe fewer than len) or a negative errno; the fds go
 * with the first byte. MSG_NOSIGNAL is always set. */
ssize_t unix_send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds);

/* Receives up to len bytes and up to max_fds attached descriptors, which are
 * made O_CLOEXEC. *n_fds receives the count. Returns bytes read (0 = EOF) or
 * a negative errno. If more than max_fds arrive, all are closed and
 * -EMSGSIZE is returned (the peer broke the protocol). */
ssize_t unix_recv_with_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds,
                           size_t *n_fds);
