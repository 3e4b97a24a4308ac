/* pid_file.c - the pid file of an instance (pid_file.h). */
#include "sup/pid_file.h"
#include "base/macros.h"
#include "base/safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The pid the file names, or 0. */
static pid_t read_pid(int dirfd, int trusted, const char *name)
{
    int fd = safepath_openat(dirfd, trusted, name, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    char buf[32] = "";
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    return n > 0 ? (pid_t)atoi(buf) : 0;
}

static int write_pid(int dirfd, int trusted, const char *name, pid_t pid)
{
    char tmp[300], text[32];
    if (snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid()) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    int len = snprintf(text, sizeof(text), "%d\n", (int)pid);
    int fd = safepath_openat(dirfd, trusted, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fd;
    int r = write(fd, text, (size_t)len) == len ? 0 : -EIO;
    close(fd);
    if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        r = neg_errno();
    if (r < 0)
        unlinkat(dirfd, tmp, 0);
    return r;
}

int pid_file_sync(struct pid_file *pf, pid_t pid)
{
    if (!pf->path || !*pf->path || pid == pf->written)
        return 0;
    int dirfd, trusted;
    char *name;
    int r = safepath_open_parent(pf->path, pid > 0 ? 0755 : 0, &dirfd, &trusted, &name);
    if (r < 0)
        return r;
    if (pid > 0) {
        r = write_pid(dirfd, trusted, name, pid);
        if (r == 0)
            pf->written = pid;
    } else {
        if (read_pid(dirfd, trusted, name) == pf->written && unlinkat(dirfd, name, 0) < 0 &&
            errno != ENOENT)
            r = neg_errno();
        pf->written = 0;
    }
    close(dirfd);
    free(name);
    return r;
}
