/* log_file.c - one appended, batched, rotating log file. */
#include "logs/log_file.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/timeutil.h"
#include "base/safepath.h"
#include "logs/log_name.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* --- opening --- */

static void fail(struct log_file *f, int r);

#define LOG_FILE_FLAGS (O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* Opens the directory of f->path again, safely (safepath.h). */
static int open_dir(struct log_file *f)
{
    int dirfd, trusted;
    char *name;
    int r = safepath_open_parent(f->path, 0750, &dirfd, &trusted, &name);
    if (r < 0)
        return r;
    if (f->dirfd >= 0)
        close(f->dirfd);
    free(f->name);
    f->dirfd = dirfd;
    f->dir_trusted = trusted;
    f->name = name;
    return 0;
}

/* Opens f->name in the directory we hold into f->fd (closing the previous
 * fd only on success): never through a symlink someone else planted. */
static int open_path(struct log_file *f)
{
    if (f->dirfd < 0) {
        int r = open_dir(f);
        if (r < 0)
            return r;
    }
    int fd = safepath_openat(f->dirfd, f->dir_trusted, f->name, LOG_FILE_FLAGS, 0640);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int r = neg_errno();
        close(fd);
        return r;
    }
    if (f->fd >= 0)
        close(f->fd);
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->regular = S_ISREG(st.st_mode);
    f->size = f->regular ? (uint64_t)st.st_size : 0;
    f->opened_wall_ms = wall_ms();
    f->mid_line = 0; /* a line cut in the previous file stays there */
    f->tail_open = 0;
    return 0;
}

int log_file_init(struct log_file *f, const char *path, uint64_t max_size)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->dirfd = -1;
    f->max_size = max_size;
    f->path = strdup(path);
    if (!f->path)
        return -ENOMEM;
    int r = open_path(f);
    if (r < 0)
        fail(f, r);
    return r;
}

int log_file_open(struct log_file *f, const char *path, uint64_t max_size)
{
    int r = log_file_init(f, path, max_size);
    if (r < 0) {
        log_file_close(f);
        f->fd = f->dirfd = -1;
    }
    return r;
}

void log_file_close(struct log_file *f)
{
    if (!f->path)
        return;
    log_file_flush(f);
    if (f->fd >= 0)
        close(f->fd);
    if (f->dirfd >= 0)
        close(f->dirfd);
    f->fd = f->dirfd = -1;
    free(f->buf);
    free(f->path);
    free(f->name);
    f->buf = NULL;
    f->path = f->name = NULL;
    f->len = 0;
}

/* --- failures --- */

static void drop(struct log_file *f, size_t n)
{
    f->bytes_dropped += n;
    f->dropped_unreported += n;
}

static void fail(struct log_file *f, int r)
{
    f->last_error = r;
    if (r == -EAGAIN)
        return; /* a pipe or tty that is full: try again with the next batch */
    f->suppressed = 1;
    f->retry_at = mono_ms() + LOG_FILE_RETRY_MS;
}

int log_file_tick(struct log_file *f, int64_t now)
{
    if (!f->suppressed || now < f->retry_at)
        return 0;
    f->suppressed = 0;
    if (f->fd < 0) {
        int r = open_path(f);
        if (r < 0) {
            fail(f, r);
            return 0;
        }
    }
    return f->dropped_unreported > 0;
}

/* --- writing --- */

/* Reopens the path first if it now names another file (rotated by another
 * writer or by logrotate, or removed); refreshes our idea of the size. */
static void follow_path(struct log_file *f)
{
    if (!f->regular)
        return;
    struct stat st;
    if (fstatat(f->dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == f->dev &&
        st.st_ino == f->ino) {
        f->size = (uint64_t)st.st_size;
        return;
    }
    /* if the new file cannot be opened, keep writing to the old one */
    (void)open_path(f);
}

static const char newline = '\n';

/* Writes the buffer and then extra (not copied), as one writev. */
static int write_out(struct log_file *f, const char *extra, size_t extra_len)
{
    size_t total = f->len + extra_len;
    if (total == 0)
        return 0;
    if (f->suppressed || f->fd < 0) {
        drop(f, total);
        f->len = 0;
        return f->last_error ? f->last_error : -EIO;
    }
    follow_path(f);

    struct iovec iov[3];
    int n_iov = 0;
    if (f->mid_line)
        iov[n_iov++] = (struct iovec){.iov_base = (void *)&newline, .iov_len = 1};
    if (f->len)
        iov[n_iov++] = (struct iovec){.iov_base = f->buf, .iov_len = f->len};
    if (extra_len)
        iov[n_iov++] = (struct iovec){.iov_base = (void *)extra, .iov_len = extra_len};

    struct iovec *v = iov;
    int r = 0, wrote_any = 0;
    char last = 0;
    while (n_iov > 0) {
        ssize_t n = writev(f->fd, v, n_iov);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = neg_errno();
            break;
        }
        if (n == 0) {
            r = -EIO;
            break;
        }
        wrote_any = 1;
        f->bytes_written += (uint64_t)n;
        f->size += (uint64_t)n;
        size_t left = (size_t)n;
        while (n_iov > 0 && left >= v->iov_len) {
            left -= v->iov_len;
            last = ((const char *)v->iov_base)[v->iov_len - 1];
            v++;
            n_iov--;
        }
        if (left > 0) {
            last = ((const char *)v->iov_base)[left - 1];
            v->iov_base = (char *)v->iov_base + left;
            v->iov_len -= left;
        }
    }
    f->len = 0;
    if (wrote_any) {
        f->mid_line = 0;
        f->tail_open = last != '\n'; /* legit between the parts of a long line */
    }
    if (r < 0) {
        f->mid_line = f->tail_open; /* the rest of that line is lost */
        size_t lost = 0;
        for (int i = 0; i < n_iov; i++)
            lost += v[i].iov_len;
        if (n_iov > 0 && v[0].iov_base == (void *)&newline)
            lost--; /* the '\n' ending a cut line is not app data */
        drop(f, lost);
        fail(f, r);
        return r;
    }
    f->last_error = 0;
    if (f->note_pending) {
        f->dropped_unreported = 0;
        f->note_pending = 0;
    }
    return 0;
}

int log_file_flush(struct log_file *f)
{
    return write_out(f, NULL, 0);
}

/* Copies len bytes. Lines are short and come a few pieces at a time (a
 * timestamp, the line, its newline), and musl's memcpy pays a fixed
 * `rep movs` start-up on every call, so copies of up to 64 bytes are done
 * with fixed-size moves that overlap at the end instead. */
static inline void copy_bytes(char *dst, const char *src, size_t len)
{
    uint64_t a, b, c, d;
    if (len >= 8 && len <= 16) {
        __builtin_memcpy(&a, src, 8);
        __builtin_memcpy(&b, src + len - 8, 8);
        __builtin_memcpy(dst, &a, 8);
        __builtin_memcpy(dst + len - 8, &b, 8);
    } else if (len > 16 && len <= 32) {
        __builtin_memcpy(&a, src, 8);
        __builtin_memcpy(&b, src + 8, 8);
        __builtin_memcpy(&c, src + len - 16, 8);
        __builtin_memcpy(&d, src + len - 8, 8);
        __builtin_memcpy(dst, &a, 8);
        __builtin_memcpy(dst + 8, &b, 8);
        __builtin_memcpy(dst + len - 16, &c, 8);
        __builtin_memcpy(dst + len - 8, &d, 8);
    } else if (len > 32 && len <= 64) {
        copy_bytes(dst, src, 32);
        copy_bytes(dst + len - 32, src + len - 32, 32);
    } else if (len < 8) {
        for (size_t i = 0; i < len; i++)
            dst[i] = src[i];
    } else {
        memcpy(dst, src, len);
    }
}

void log_file_put(struct log_file *f, const char *data, size_t len)
{
    if (len == 0)
        return;
    if (f->suppressed || f->fd < 0) {
        drop(f, len);
        return;
    }
    if (len <= LOG_FILE_BUF_SIZE - f->len) {
        if (!f->buf) {
            f->buf = malloc(LOG_FILE_BUF_SIZE);
            if (!f->buf) {
                (void)write_out(f, data, len); /* no memory: write unbuffered */
                return;
            }
        }
        copy_bytes(f->buf + f->len, data, len);
        f->len += len;
        return;
    }
    if (len >= LOG_FILE_BUF_SIZE / 2) {
        (void)write_out(f, data, len);
        return;
    }
    if (write_out(f, NULL, 0) < 0 && (f->suppressed || f->fd < 0)) {
        drop(f, len);
        return;
    }
    copy_bytes(f->buf + f->len, data, len);
    f->len += len;
}

void log_file_trim(struct log_file *f)
{
    if (f->len == 0) {
        free(f->buf);
        f->buf = NULL;
    }
}

/* --- rotation --- */

int log_file_size_reached(const struct log_file *f)
{
    if (f->max_size == 0 || !f->regular || f->size + f->len < f->max_size)
        return 0;
    return f->rotate_retry_at == 0 || mono_ms() >= f->rotate_retry_at;
}

uint64_t log_file_room(const struct log_file *f)
{
    if (f->max_size == 0 || !f->regular ||
        (f->rotate_retry_at != 0 && mono_ms() < f->rotate_retry_at))
        return UINT64_MAX;
    uint64_t used = f->size + f->len;
    return used >= f->max_size ? 0 : f->max_size - used;
}

/* After a failed or contended rotation, size checks wait a little so a
 * stuck rotation does not cost a flush and a flock per line. */
static int rotate_later(struct log_file *f, int64_t delay_ms, int r)
{
    f->rotate_retry_at = mono_ms() + delay_ms;
    return r;
}

static int rename_noreplace(int dirfd, const char *from, const char *to)
{
    if (syscall(SYS_renameat2, dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return neg_errno();
    /* a file system without RENAME_NOREPLACE: we hold the lock, so a check
     * before rename is enough against the other writers of this log */
    struct stat st;
    if (fstatat(dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return -EEXIST;
    if (renameat(dirfd, from, dirfd, to) < 0)
        return neg_errno();
    return 0;
}

/* A readable directory stream of the directory we hold. */
static DIR *open_listing(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d)
        close(fd);
    return d;
}

/* The first counter above every rotated file of this log stamped with the
 * same second (retention may have deleted the lowest ones). */
static unsigned next_counter(const struct log_file *f, int64_t wall_ms)
{
    char stamp[LOG_NAME_STAMP_LEN + 1], other[LOG_NAME_STAMP_LEN + 1];
    if (log_name_stamp(wall_ms, stamp) < 0)
        return 0;
    DIR *d = open_listing(f->dirfd);
    if (!d)
        return 0;
    unsigned next = 0, counter;
    struct dirent *de;
    while ((de = readdir(d)))
        if (log_name_parse(f->name, de->d_name, other, &counter) && strcmp(other, stamp) == 0 &&
            counter >= next)
            next = counter + 1;
    closedir(d);
    return next;
}

/* Renames the file to the next free rotated name (plain and .gz both free),
 * inside the directory we hold; its base name goes to rotated. */
static int rename_rotated(const struct log_file *f, int64_t wall_ms, char *rotated,
                          size_t rotated_size)
{
    for (unsigned counter = next_counter(f, wall_ms); counter <= LOG_NAME_MAX_COUNTER; counter++) {
        int r = log_name_rotated(f->name, wall_ms, counter, rotated, rotated_size);
        if (r < 0)
            return r;
        char gz[NAME_MAX + 8];
        struct stat st;
        if (snprintf(gz, sizeof(gz), "%s.gz", rotated) >= (int)sizeof(gz))
            return -ENAMETOOLONG;
        if (fstatat(f->dirfd, gz, &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        r = rename_noreplace(f->dirfd, f->name, rotated);
        if (r == -EEXIST)
            continue;
        return r;
    }
    return -EEXIST;
}

int log_file_rotate(struct log_file *f, enum log_rotate_why why, int64_t wall_ms, char *rotated,
                    size_t rotated_size)
{
    if (!f->regular || f->fd < 0)
        return 0;
    (void)log_file_flush(f); /* buffered lines belong to the old file */
    if (flock(f->fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) /* another writer is rotating it */
            return rotate_later(f, LOG_FILE_RETRY_MS / 100, 0);
        return rotate_later(f, LOG_FILE_RETRY_MS, neg_errno());
    }
    f->rotate_retry_at = 0;

    struct stat st;
    if (fstatat(f->dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != f->dev ||
        st.st_ino != f->ino) {
        /* rotated (or removed) by someone else since we opened it: follow */
        flock(f->fd, LOCK_UN);
        int r = open_path(f);
        return r < 0 ? rotate_later(f, LOG_FILE_RETRY_MS, r) : 0;
    }
    f->size = (uint64_t)st.st_size;
    if (why == LOG_ROTATE_SIZE ? !log_file_size_reached(f) : st.st_size == 0) {
        flock(f->fd, LOCK_UN);
        return 0;
    }
    int r = rename_rotated(f, wall_ms, rotated, rotated_size);
    if (r < 0) {
        flock(f->fd, LOCK_UN);
        return rotate_later(f, LOG_FILE_RETRY_MS, r);
    }
    f->rotations++;
    /* unlock explicitly: a forked child may share the open file. If the new
     * file cannot be created, keep appending to the rotated one and retry
     * later (the path is missing, so the next write tries to open it) */
    flock(f->fd, LOCK_UN);
    r = open_path(f);
    if (r < 0)
        (void)rotate_later(f, LOG_FILE_RETRY_MS, r);
    return 1;
}

int log_file_reopen(struct log_file *f)
{
    (void)log_file_flush(f);
    int r = open_dir(f);
    if (r == 0)
        r = open_path(f);
    if (r < 0) {
        if (f->fd >= 0)
            close(f->fd);
        f->fd = -1;
        fail(f, r);
        return r;
    }
    f->suppressed = 0;
    return 0;
}

int log_file_truncate(struct log_file *f)
{
    (void)log_file_flush(f);
    if (f->fd < 0 || !f->regular)
        return 0;
    /* the file we hold, never a fresh lookup of the path */
    if (ftruncate(f->fd, 0) < 0)
        return neg_errno();
    f->size = 0;
    f->mid_line = 0;
    f->tail_open = 0;
    return 0;
}

/* --- retention --- */

int log_file_prune(const struct log_file *f, unsigned retain, const char *busy)
{
    if (f->dirfd < 0)
        return 0;
    char **names;
    size_t n;
    int r = log_name_list_rotated_at(f->dirfd, f->name, &names, &n);
    if (r < 0)
        return r;

    /* walk from the newest; plain and .gz of one rotation are neighbours */
    int deleted = 0;
    size_t distinct = 0;
    for (size_t i = n; i-- > 0;) {
        size_t key = log_name_key_len(names[i]);
        if (i + 1 == n || key != log_name_key_len(names[i + 1]) ||
            memcmp(names[i], names[i + 1], key) != 0)
            distinct++;
        if (distinct <= retain)
            continue;
        if (busy && log_name_key_len(busy) == key && memcmp(busy, names[i], key) == 0)
            continue;
        if (unlinkat(f->dirfd, names[i], 0) == 0)
            deleted++;
    }
    log_name_free_list(names, n);
    return deleted;
}
