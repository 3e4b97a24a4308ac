/* log_reader.c - tails and followers of log files for `drover logs`. */
#include "logs/log_reader.h"
#include "base/macros.h"
#include "logs/log_name.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOLLOW_MAX_HOPS 64 /* files moved through in one log_follow_read */

/* --- the last lines of a file --- */

static ssize_t pread_full(int fd, char *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return neg_errno();
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int log_reader_tail_start(int fd, uint64_t end, unsigned n_lines, uint64_t *start, unsigned *found)
{
    *start = end;
    *found = 0;
    if (n_lines == 0 || end == 0)
        return 0;
    char buf[LOG_READER_CHUNK];
    unsigned count = 0; /* newlines seen that end a line before the wanted ones */
    uint64_t pos = end;
    while (pos > 0) {
        size_t len = (size_t)MIN((uint64_t)sizeof(buf), pos);
        ssize_t n = pread_full(fd, buf, len, pos - len);
        if (n < 0)
            return (int)n;
        if ((size_t)n < len)
            return -EIO; /* the file shrank under us */
        for (size_t i = len; i-- > 0;) {
            if (buf[i] != '\n')
                continue;
            uint64_t at = pos - len + i;
            if (at == end - 1)
                continue; /* the newline that ends the last line */
            if (++count == n_lines) {
                *start = at + 1;
                *found = n_lines;
                return 0;
            }
        }
        pos -= len;
    }
    *start = 0;
    *found = count + 1; /* the first line of the file */
    return 0;
}

/* --- following --- */

int log_follow_init(struct log_follow *f, const char *path)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    char dir[PATH_MAX];
    const char *base;
    if (log_name_split_dir(path, dir, sizeof(dir), &base) < 0)
        return -ENAMETOOLONG;
    f->path = strdup(path);
    f->dir = strdup(dir);
    if (!f->path || !f->dir) {
        free(f->path);
        free(f->dir);
        f->path = f->dir = NULL;
        return -ENOMEM;
    }
    f->base = f->path + (base - path);
    line_splitter_init(&f->split, LOG_READER_MAX_LINE);
    return 0;
}

static void close_file(struct log_follow *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->rotated_name);
    f->rotated_name = NULL;
    f->by_path = 0;
    f->pos = 0;
}

/* Opens a regular file for reading. Returns the fd or a negative errno
 * (-EINVAL for a pipe, device or directory: never read those, reading a
 * FIFO would steal the app's output from its real reader). */
static int open_regular(const char *full, struct stat *st)
{
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return neg_errno();
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        int r = S_ISREG(st->st_mode) ? neg_errno() : -EINVAL;
        close(fd);
        return r;
    }
    return fd;
}

/* Makes fd (opened from a rotated name, or through path when rotated_name
 * is NULL) the file being read, from offset 0. Takes rotated_name. */
static void set_file(struct log_follow *f, int fd, const struct stat *st, char *rotated_name)
{
    close_file(f);
    f->fd = fd;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->by_path = rotated_name == NULL;
    f->rotated_name = rotated_name;
}

static int open_current(struct log_follow *f)
{
    struct stat st;
    int fd = open_regular(f->path, &st);
    if (fd < 0)
        return fd;
    set_file(f, fd, &st, NULL);
    return 0;
}

/* Opens the rotated file `name` of the log (base name). */
static int open_rotated(struct log_follow *f, const char *name, struct stat *st)
{
    char full[PATH_MAX];
    if (snprintf(full, sizeof(full), "%s/%s", f->dir, name) >= (int)sizeof(full))
        return -ENAMETOOLONG;
    return open_regular(full, st);
}

static int same_key(const char *a, const char *b)
{
    size_t la = log_name_key_len(a), lb = log_name_key_len(b);
    return la == lb && memcmp(a, b, la) == 0;
}

static int is_gz(const char *name)
{
    return log_name_key_len(name) != strlen(name);
}

/* Index of the rotated file that is (dev, ino), searching from the newest
 * (the file just left is almost always among the newest); -1 if none. */
static ssize_t find_by_inode(const struct log_follow *f, char **names, size_t n, dev_t dev,
                             ino_t ino)
{
    for (size_t i = n; i-- > 0;) {
        char full[PATH_MAX];
        struct stat st;
        if (is_gz(names[i]) ||
            snprintf(full, sizeof(full), "%s/%s", f->dir, names[i]) >= (int)sizeof(full))
            continue;
        if (stat(full, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
            return (ssize_t)i;
    }
    return -1;
}

/* Index of the first name newer than `after` (by age order), n if none. */
static size_t first_newer(char **names, size_t n, const char *after)
{
    for (size_t i = 0; i < n; i++)
        if (log_name_compare(&names[i], &after) > 0 && !same_key(names[i], after))
            return i;
    return n;
}

/* Opens the first readable rotated file from index i on. Returns its index
 * (the file set as current) or n when there is none. */
static size_t open_next_rotated(struct log_follow *f, char **names, size_t n, size_t i)
{
    for (; i < n; i++) {
        if (is_gz(names[i])) {
            /* a plain file of the same rotation sorts first and was tried */
            if (i == 0 || !same_key(names[i - 1], names[i]))
                f->skipped_files++;
            continue;
        }
        struct stat st;
        int fd = open_rotated(f, names[i], &st);
        if (fd < 0) {
            /* compressed or pruned meanwhile; the .gz (if any) follows */
            if (i + 1 >= n || !same_key(names[i + 1], names[i]))
                f->skipped_files++;
            continue;
        }
        char *name = strdup(names[i]);
        if (!name) {
            close(fd);
            return n;
        }
        set_file(f, fd, &st, name);
        return i;
    }
    return n;
}

/* 1 if the rotated file `name` is the file fd holds. */
static int holds(const struct log_follow *f, const char *name)
{
    char full[PATH_MAX];
    struct stat st;
    if (snprintf(full, sizeof(full), "%s/%s", f->dir, name) >= (int)sizeof(full))
        return 0;
    return stat(full, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino;
}

/* Moves on from the rotated file `left` (NULL: unknown) to the next file
 * of the log. Returns 1 when done, 0 when a file vanished under us (try
 * again). */
static int advance_from(struct log_follow *f, const char *left)
{
    char **names;
    size_t n;
    if (left) {
        if (log_name_list_rotated(f->path, &names, &n) < 0)
            n = 0, names = NULL;
        size_t i = first_newer(names, n, left);
        size_t opened = open_next_rotated(f, names, n, i);
        log_name_free_list(names, n);
        if (opened < n)
            return 1;
    }
    /* no rotated file after the one left: the current file */
    if (open_current(f) < 0 || !left)
        return 1;
    /* the log may have rotated between the listing and the open: then the
     * first rotated file after the one left is either the file just opened
     * (read it by that name) or a file that we must read first */
    if (log_name_list_rotated(f->path, &names, &n) < 0)
        return 1;
    size_t i = first_newer(names, n, left);
    while (i < n && is_gz(names[i]))
        i++;
    int done = 1;
    if (i < n && holds(f, names[i])) {
        f->rotated_name = strdup(names[i]);
        f->by_path = f->rotated_name == NULL;
    } else if (i < n) {
        close_file(f);
        done = open_next_rotated(f, names, n, i) < n;
    }
    log_name_free_list(names, n);
    return done;
}

/* The file being read is finished: moves to the next file of the log. */
static void advance(struct log_follow *f)
{
    char *left = f->rotated_name ? strdup(f->rotated_name) : NULL;
    if (!left && f->fd >= 0) {
        /* the current file was rotated: find its new name by inode */
        char **names;
        size_t n;
        if (log_name_list_rotated(f->path, &names, &n) == 0) {
            ssize_t i = find_by_inode(f, names, n, f->dev, f->ino);
            if (i >= 0)
                left = strdup(names[i]);
            log_name_free_list(names, n);
        }
    }
    close_file(f);
    /* remembered: if the next file cannot be opened now, the next read
     * starts again from here rather than from whatever is current (NULL:
     * the file left is gone, compressed or moved away, so the current
     * file is all we can go on with) */
    free(f->cursor);
    f->cursor = left;
    for (int attempt = 0; attempt < 8; attempt++)
        if (advance_from(f, f->cursor))
            break;
}

/* Opens the file to read when none is open: the one after the cursor, or
 * the current file. Returns 0 or a negative errno. */
static int reopen(struct log_follow *f)
{
    if (!f->cursor)
        return open_current(f);
    (void)advance_from(f, f->cursor);
    return f->fd >= 0 ? 0 : -ENOENT;
}

static void forget(struct log_follow *f)
{
    close_file(f);
    free(f->cursor);
    f->cursor = NULL;
    line_splitter_free(&f->split);
}

int log_follow_start(struct log_follow *f, unsigned n_lines, uint64_t *backlog)
{
    struct stat st = {0};
    uint64_t size = 0, off = 0, total = 0;
    unsigned found = 0;
    forget(f);
    if (backlog)
        *backlog = 0;
    int r = open_current(f);
    if (r < 0 && r != -ENOENT)
        return r;
    if (f->fd >= 0) {
        if (fstat(f->fd, &st) < 0)
            return neg_errno();
        size = (uint64_t)st.st_size;
        if ((r = log_reader_tail_start(f->fd, size, n_lines, &off, &found)) < 0)
            return r;
    }
    f->pos = off;
    total = size - off;
    if (found >= n_lines) {
        if (backlog)
            *backlog = total;
        return 0;
    }

    /* not enough lines: go back into the rotated files, newest first */
    char **names;
    size_t n;
    if (log_name_list_rotated(f->path, &names, &n) < 0)
        n = 0, names = NULL;
    unsigned need = n_lines - found;
    int chosen_fd = -1;
    struct stat chosen_st = {0};
    size_t chosen = n;
    uint64_t chosen_off = 0;
    for (size_t i = n; i-- > 0 && need > 0;) {
        if (is_gz(names[i])) {
            if (i > 0 && same_key(names[i - 1], names[i]))
                continue; /* its plain file is next: being compressed */
            break;        /* older lines are compressed: stop here */
        }
        struct stat rst;
        int fd = open_rotated(f, names[i], &rst);
        if (fd < 0)
            break;
        if (f->fd >= 0 && rst.st_dev == st.st_dev && rst.st_ino == st.st_ino) {
            close(fd); /* the current file, rotated since we opened it */
            continue;
        }
        uint64_t roff;
        unsigned rfound;
        if (log_reader_tail_start(fd, (uint64_t)rst.st_size, need, &roff, &rfound) < 0) {
            close(fd);
            break;
        }
        if (chosen_fd >= 0)
            close(chosen_fd);
        chosen_fd = fd;
        chosen_st = rst;
        chosen = i;
        chosen_off = roff;
        total += (uint64_t)rst.st_size - roff;
        need -= MIN(need, rfound);
    }
    if (chosen_fd >= 0) {
        char *name = strdup(names[chosen]);
        if (!name) {
            close(chosen_fd);
        } else {
            set_file(f, chosen_fd, &chosen_st, name);
            f->pos = chosen_off;
        }
    }
    log_name_free_list(names, n);
    if (backlog)
        *backlog = total;
    return 0;
}

int log_follow_start_at_beginning(struct log_follow *f)
{
    forget(f);
    int r = open_current(f);
    return r == -ENOENT ? 0 : r;
}

/* Reads fd from pos to its end or until *left runs out. Returns 1 when the
 * budget ran out, 0 at the end, or a negative errno. */
static int drain(struct log_follow *f, uint64_t *left, log_follow_cb cb, void *ctx)
{
    char buf[LOG_READER_CHUNK];
    struct stat st;
    if (fstat(f->fd, &st) < 0)
        return neg_errno();
    if ((uint64_t)st.st_size < f->pos) {
        /* truncated (drover flush, copytruncate): start again at 0 */
        line_splitter_finish(&f->split, cb, ctx);
        f->pos = 0;
        f->truncations++;
    }
    for (;;) {
        if (*left == 0)
            return 1;
        size_t want = (size_t)MIN((uint64_t)sizeof(buf), *left);
        ssize_t n = pread(f->fd, buf, want, (off_t)f->pos);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return neg_errno();
        }
        if (n == 0)
            return 0;
        f->pos += (uint64_t)n;
        *left -= (uint64_t)n;
        (void)line_splitter_feed(&f->split, buf, (size_t)n, cb, ctx);
    }
}

/* 1 if the log's path now names a file other than the one open (it was
 * rotated or replaced), 0 if it is ours or names nothing yet. */
static int path_moved_on(const struct log_follow *f)
{
    struct stat st;
    if (stat(f->path, &st) < 0)
        return 0;
    return st.st_dev != f->dev || st.st_ino != f->ino;
}

int log_follow_read(struct log_follow *f, uint64_t budget, log_follow_cb cb, void *ctx)
{
    uint64_t left = budget;
    for (int hop = 0; hop < FOLLOW_MAX_HOPS; hop++) {
        if (f->fd < 0 && reopen(f) < 0)
            return 0; /* nothing there yet */
        int r = drain(f, &left, cb, ctx);
        if (r != 0) {
            if (r < 0)
                close_file(f);
            return r;
        }
        if (f->by_path) {
            if (!path_moved_on(f)) {
                line_splitter_trim(&f->split);
                return 0;
            }
            /* what was written before the rename is all there now */
            if ((r = drain(f, &left, cb, ctx)) != 0) {
                if (r < 0)
                    close_file(f);
                return r;
            }
        }
        /* a line unfinished at the end of a file ends with it */
        line_splitter_finish(&f->split, cb, ctx);
        advance(f);
    }
    return 1;
}

void log_follow_finish(struct log_follow *f, log_follow_cb cb, void *ctx)
{
    line_splitter_finish(&f->split, cb, ctx);
}

void log_follow_free(struct log_follow *f)
{
    forget(f);
    free(f->path);
    free(f->dir);
    f->path = f->dir = NULL;
}
