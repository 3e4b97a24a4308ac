/* safepath.c - opening files by path without following planted symlinks
 * (safepath.h). */
#include "base/safepath.h"
#include "base/macros.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int safepath_dir_trusted(uid_t owner, mode_t mode)
{
    return (owner == 0 || owner == geteuid()) && !(mode & (S_IWGRP | S_IWOTH));
}

/* Where a walk stands: a directory held by fd, and whether it is trusted. */
struct walk {
    int cur;
    int trusted;
    int links; /* symlinks followed so far */
};

static int set_dir(struct walk *w, int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int r = neg_errno();
        close(fd);
        return r;
    }
    if (!S_ISDIR(st.st_mode)) {
        close(fd);
        return -ENOTDIR;
    }
    if (w->cur >= 0)
        close(w->cur);
    w->cur = fd;
    w->trusted = safepath_dir_trusted(st.st_uid, st.st_mode);
    return 0;
}

static int go_root(struct walk *w)
{
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? neg_errno() : set_dir(w, fd);
}

/* Opens the next directory component, creating it when asked. */
static int open_component(struct walk *w, const char *comp, mode_t mkdir_mode, struct stat *st)
{
    int fd = openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && mkdir_mode) {
        if (mkdirat(w->cur, comp, mkdir_mode) < 0 && errno != EEXIST)
            return neg_errno();
        fd = openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        return neg_errno();
    if (fstat(fd, st) < 0) {
        int r = neg_errno();
        close(fd);
        return r;
    }
    return fd;
}

/* Walks path from w's directory, leaving w at the directory that holds the
 * last component, whose name is stored in *last (malloc'd). */
static int walk(struct walk *w, const char *path, mode_t mkdir_mode, char **last)
{
    _cleanup_free_ char *buf = strdup(path);
    if (!buf)
        return -ENOMEM;
    char *p = buf;
    int r;
    if (*p == '/' && (r = go_root(w)) < 0)
        return r;
    for (;;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        const char *after = p + len + strspn(p + len, "/");
        if (*after == '\0') {
            if (len == 0)
                return -EISDIR; /* the path names a directory */
            *last = strndup(p, len);
            return *last ? 0 : -ENOMEM;
        }
        char comp[NAME_MAX + 1];
        if (len > NAME_MAX)
            return -ENAMETOOLONG;
        memcpy(comp, p, len);
        comp[len] = '\0';
        p = (char *)after;
        if (strcmp(comp, ".") == 0)
            continue;
        struct stat st;
        int fd = open_component(w, comp, mkdir_mode, &st);
        if (fd < 0)
            return fd;
        if (!S_ISLNK(st.st_mode)) {
            if ((r = set_dir(w, fd)) < 0)
                return r;
            continue;
        }
        close(fd);
        if (!w->trusted || ++w->links > SAFEPATH_MAX_LINKS)
            return -ELOOP;
        char target[PATH_MAX];
        ssize_t n = readlinkat(w->cur, comp, target, sizeof(target) - 1);
        if (n < 0)
            return neg_errno();
        if (n == 0)
            return -ENOENT;
        target[n] = '\0';
        /* go on with the link's target followed by what was left */
        size_t rest = strlen(p);
        char *next = malloc((size_t)n + 1 + rest + 1);
        if (!next)
            return -ENOMEM;
        snprintf(next, (size_t)n + 1 + rest + 1, "%s/%s", target, p);
        free(buf);
        buf = p = next;
        if (*p == '/' && (r = go_root(w)) < 0)
            return r;
    }
}

int safepath_open_parent(const char *path, mode_t mkdir_mode, int *dirfd, int *trusted, char **name)
{
    struct walk w = {.cur = -1};
    int r = *path == '/' ? 0 : set_dir(&w, open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (r == 0)
        r = walk(&w, path, mkdir_mode, name);
    if (r < 0) {
        if (w.cur >= 0)
            close(w.cur);
        return r;
    }
    *dirfd = w.cur;
    *trusted = w.trusted;
    return 0;
}

static int open_at_depth(int dirfd, int trusted, const char *name, int flags, mode_t mode,
                         int links);

/* A /proc/<pid>/fd entry for a pipe, socket or anonymous inode reads as
 * "pipe:[123]": no path to walk, the kernel resolves it. */
static int is_magic_target(const char *target)
{
    size_t n = strlen(target);
    return target[0] != '/' && n > 2 && target[n - 1] == ']' && strstr(target, ":[");
}

/* name in the trusted dirfd is a symlink: its target path is walked with
 * the same rules; a /proc fd link to a pipe or socket is reopened. */
static int follow_final(int dirfd, const char *name, int flags, mode_t mode, int links)
{
    if (links > SAFEPATH_MAX_LINKS)
        return -ELOOP;
    char target[PATH_MAX];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
    if (n <= 0)
        return n < 0 ? neg_errno() : -ENOENT;
    target[n] = '\0';
    if (is_magic_target(target)) {
        int pfd = openat(dirfd, name, O_PATH | O_CLOEXEC);
        if (pfd < 0)
            return neg_errno();
        struct stat st;
        int r = fstat(pfd, &st) < 0 ? neg_errno() : 0;
        if (r == 0 && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && !S_ISCHR(st.st_mode))
            r = -ELOOP;
        if (r == 0) {
            char proc[64];
            snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
            r = open(proc, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
            if (r < 0)
                r = neg_errno();
        }
        close(pfd);
        return r;
    }
    struct walk w = {.cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3), .trusted = 1, .links = links};
    if (w.cur < 0)
        return neg_errno();
    _cleanup_free_ char *last = NULL;
    int r = walk(&w, target, 0, &last);
    if (r == 0)
        r = open_at_depth(w.cur, w.trusted, last, flags, mode, w.links + 1);
    close(w.cur);
    return r;
}

static int open_at_depth(int dirfd, int trusted, const char *name, int flags, mode_t mode,
                         int links)
{
    /* reached through a final symlink: never create its target */
    int fd = openat(dirfd, name, (links ? flags & ~O_CREAT : flags) | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) {
        struct stat st;
        int r = fstat(fd, &st) < 0 ? neg_errno() : 0;
        if (r == 0 && links && S_ISREG(st.st_mode))
            r = -ELOOP; /* a final symlink leads to a device or a pipe, never a file */
        else if (r == 0 && !trusted && S_ISREG(st.st_mode) && st.st_nlink > 1)
            r = -EMLINK; /* a hard link could name any file */
        if (r < 0) {
            close(fd);
            return r;
        }
        return fd;
    }
    if (errno != ELOOP)
        return neg_errno();
    if (!trusted)
        return -ELOOP;
    return follow_final(dirfd, name, flags, mode, links);
}

int safepath_openat(int dirfd, int trusted, const char *name, int flags, mode_t mode)
{
    return open_at_depth(dirfd, trusted, name, flags, mode, 0);
}
