/* fdutil.c - file descriptor helpers. */
#include "base/fdutil.h"
#include "base/macros.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int fd_set_nonblock(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return neg_errno();
    int nflags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (nflags != flags && fcntl(fd, F_SETFL, nflags) < 0)
        return neg_errno();
    return 0;
}

int fd_set_cloexec(int fd, int on)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0)
        return neg_errno();
    int nflags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    if (nflags != flags && fcntl(fd, F_SETFD, nflags) < 0)
        return neg_errno();
    return 0;
}

int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return neg_errno();
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *out_len)
{
    _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return neg_errno();
    size_t cap = 4096, len = 0;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > max + 1)
                return -EFBIG;
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb)
                return -ENOMEM;
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return neg_errno();
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max)
            return -EFBIG;
    }
    buf[len] = '\0';
    if (out_len)
        *out_len = len;
    *out = TAKE_PTR(buf);
    return 0;
}

static int fsync_parent_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return neg_errno();
    if (fsync(dfd) < 0)
        return neg_errno();
    return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return neg_errno();
    int r = write_full(fd, data, len);
    if (r == 0 && fsync(fd) < 0)
        r = neg_errno();
    if (close(fd) < 0 && r == 0)
        r = neg_errno();
    if (r == 0 && rename(tmp, path) < 0)
        r = neg_errno();
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    return fsync_parent_dir(path);
}

static int fd_is_kept(int fd, const int *keep, size_t n_keep)
{
    for (size_t i = 0; i < n_keep; i++)
        if (keep[i] == fd)
            return 1;
    return 0;
}

void close_fds_from(int from, const int *keep, size_t n_keep)
{
    /* Close the gaps between kept fds with close_range(2); fall back to a
     * bounded loop when the kernel lacks it. Async-signal-safe. */
    int lo = from;
    for (;;) {
        int next_keep = INT_MAX;
        for (size_t i = 0; i < n_keep; i++)
            if (keep[i] >= lo && keep[i] < next_keep)
                next_keep = keep[i];
        unsigned int hi = next_keep == INT_MAX ? ~0U : (unsigned int)next_keep - 1;
        if (next_keep != lo) {
            if (syscall(SYS_close_range, (unsigned int)lo, hi, 0) < 0) {
                int limit = next_keep == INT_MAX ? 65536 : next_keep;
                for (int fd = lo; fd < limit; fd++)
                    if (!fd_is_kept(fd, keep, n_keep))
                        close(fd);
            }
        }
        if (next_keep == INT_MAX)
            break;
        lo = next_keep + 1;
    }
}

int pipe_cloexec(int fds[2], int nonblock_read, int nonblock_write)
{
    if (pipe2(fds, O_CLOEXEC) < 0)
        return neg_errno();
    if ((nonblock_read && fd_set_nonblock(fds[0], 1) < 0) ||
        (nonblock_write && fd_set_nonblock(fds[1], 1) < 0)) {
        int r = neg_errno();
        close(fds[0]);
        close(fds[1]);
        return r;
    }
    return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return neg_errno();
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return neg_errno();
    return 0;
}
