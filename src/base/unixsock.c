/* unixsock.c - AF_UNIX stream sockets for drover's control links. */
#include "base/unixsock.h"
#include "base/macros.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Fills addr for path; for a long path opens its directory into *dirfd and
 * addresses the socket through /proc/self/fd. */
static int make_addr(const char *path, struct sockaddr_un *addr, socklen_t *alen, int *dirfd)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    *dirfd = -1;
    size_t len = strlen(path);
    if (len < sizeof(addr->sun_path)) {
        memcpy(addr->sun_path, path, len + 1);
    } else {
        const char *slash = strrchr(path, '/');
        if (!slash || slash == path)
            return -ENAMETOOLONG;
        char dir[PATH_MAX];
        if ((size_t)(slash - path) >= sizeof(dir))
            return -ENAMETOOLONG;
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
        *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*dirfd < 0)
            return neg_errno();
        int n = snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dirfd,
                         slash + 1);
        if (n < 0 || (size_t)n >= sizeof(addr->sun_path)) {
            close(*dirfd);
            *dirfd = -1;
            return -ENAMETOOLONG;
        }
    }
    *alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(addr->sun_path) + 1);
    return 0;
}

int unix_listen(const char *path, mode_t mode, int nonblock)
{
    struct sockaddr_un addr;
    socklen_t alen;
    _cleanup_close_ int dirfd = -1;
    int r = make_addr(path, &addr, &alen, &dirfd);
    if (r < 0)
        return r;
    _cleanup_close_ int fd =
        socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return neg_errno();
    if (unlink(path) < 0 && errno != ENOENT)
        return neg_errno();
    /* bind under a restrictive umask so the socket never exists with a
     * looser mode than requested, even for an instant */
    mode_t old = umask(0777 & ~mode);
    r = bind(fd, (struct sockaddr *)&addr, alen);
    umask(old);
    if (r < 0)
        return neg_errno();
    if (chmod(path, mode) < 0)
        return neg_errno();
    if (listen(fd, 128) < 0)
        return neg_errno();
    return TAKE_FD(fd);
}

int unix_connect(const char *path, int nonblock)
{
    struct sockaddr_un addr;
    socklen_t alen;
    _cleanup_close_ int dirfd = -1;
    int r = make_addr(path, &addr, &alen, &dirfd);
    if (r < 0)
        return r;
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return neg_errno();
    while (connect(fd, (struct sockaddr *)&addr, alen) < 0) {
        if (errno != EINTR)
            return neg_errno();
    }
    if (nonblock) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
            return neg_errno();
    }
    return TAKE_FD(fd);
}

int unix_check_peer(int fd, pid_t *pid)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return neg_errno();
    if (pid)
        *pid = cred.pid;
    if (cred.uid != 0 && cred.uid != geteuid())
        return -EPERM;
    return 0;
}

#define MAX_PASSED_FDS 64

ssize_t unix_send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_PASSED_FDS)];
        struct cmsghdr align;
    } u;
    if (n_fds > MAX_PASSED_FDS)
        return -E2BIG;
    if (n_fds > 0) {
        memset(&u, 0, sizeof(u));
        msg.msg_control = u.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return neg_errno();
    }
}

ssize_t unix_recv_with_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds, size_t *n_fds)
{
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_PASSED_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    ssize_t n;
    *n_fds = 0;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return neg_errno();
    int overflow = (msg.msg_flags & MSG_CTRUNC) != 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *in = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < cnt; i++) {
            if (*n_fds < max_fds)
                fds[(*n_fds)++] = in[i];
            else {
                close(in[i]);
                overflow = 1;
            }
        }
    }
    if (overflow) {
        for (size_t i = 0; i < *n_fds; i++)
            close(fds[i]);
        *n_fds = 0;
        return -EMSGSIZE;
    }
    return n;
}
