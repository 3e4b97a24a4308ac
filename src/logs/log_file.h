/* log_file.h - one log file that is appended to, batched, and rotated in
 * place (rename + reopen), possibly shared with other writers.
 *
 * Writes: put() copies formatted lines into a buffer of LOG_FILE_BUF_SIZE
 * (allocated on first use, released by trim()); flush() writes it with one
 * write(2). Callers only flush at line boundaries, so the file only ever
 * receives whole lines.
 *
 * Failures (ENOSPC, EIO, EDQUOT, EFBIG, ...) never block and never grow
 * memory: the bytes that could not be written are dropped and counted, and
 * the file stops trying for LOG_FILE_RETRY_MS (puts are dropped and counted
 * meanwhile); log_file_tick() then lets the next flush try again, so it
 * recovers by itself once the disk has room. A line cut by a short write
 * is terminated with '\n' before the next successful write. A pipe or
 * terminal target that would block (EAGAIN) loses the rest of that batch.
 *
 * Safety: the file's directory is opened once, walking the path without
 * following a symlink anyone else could have planted (base/safepath.h), and
 * held by fd; every later open, rotation, listing and deletion happens
 * inside that directory, by name, with O_NOFOLLOW. So a root supervisor
 * never writes, renames or truncates a file an app pointed it to.
 *
 * Sharing: several processes may append to the same path (O_APPEND). Before
 * each write the name is checked in the held directory; if it now names
 * another inode (another writer or logrotate rotated it) or nothing, the
 * file is reopened first.
 * Rotation takes flock(LOCK_EX|LOCK_NB) on the open file and re-checks that
 * the path still names it and its size, so two writers never both rotate
 * the same file. A shared file can pass max_size by what the other writers
 * appended since our last write (we learn their size when we write).
 *
 * Ownership: the struct is the caller's; log_file_close releases what the
 * functions allocated and closes the fd. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LOG_FILE_BUF_SIZE (128u * 1024u)
#define LOG_FILE_RETRY_MS 1000

enum log_rotate_why {
    LOG_ROTATE_SIZE,     /* only if the file reached max_size */
    LOG_ROTATE_INTERVAL, /* only if the file is not empty */
};

struct log_file {
    char *path;      /* owned; what the user configured */
    int dirfd;       /* the directory we hold (O_PATH), -1 while it cannot be opened */
    char *name;      /* owned; the file's name in dirfd */
    int dir_trusted; /* dirfd is writable by nobody but us (safepath.h) */
    int fd;          /* -1 while the path cannot be opened */
    dev_t dev;
    ino_t ino;
    int regular;             /* a regular file: sizes, rotation and truncation apply */
    uint64_t size;           /* size of the file as last seen plus what we wrote since */
    uint64_t max_size;       /* rotate at this size; 0: never */
    int64_t opened_wall_ms;  /* when fd was (re)opened, wall clock */
    int64_t rotate_retry_at; /* monotonic ms; size rotation paused until then */

    char *buf; /* pending whole lines; owned */
    size_t len;

    int tail_open;               /* the last byte we wrote was not '\n' */
    int mid_line;                /* a failed write cut a line: start the next write with '\n' */
    int suppressed;              /* writing failed: drop everything until retry_at */
    int64_t retry_at;            /* monotonic ms */
    int last_error;              /* negative errno of the last failure */
    uint64_t dropped_unreported; /* dropped since the last successful write */
    int note_pending;            /* the caller queued a note about those drops */

    uint64_t bytes_written;
    uint64_t bytes_dropped;
    uint64_t rotations;
};

/* Opens path for appending (O_APPEND|O_CLOEXEC, mode 0640, creating missing
 * parent directories 0750) into *f. Returns 0 or a negative errno (-ELOOP
 * or -EMLINK: the path leads through a link someone else planted); on
 * failure *f holds nothing that needs freeing. */
int log_file_open(struct log_file *f, const char *path, uint64_t max_size);

/* Like log_file_open, but a path that cannot be opened leaves *f failing
 * (it drops and counts bytes and tries again every LOG_FILE_RETRY_MS, as
 * after a write failure) instead of empty: the negative errno of the open
 * is returned and *f must be closed in every case but -ENOMEM. */
int log_file_init(struct log_file *f, const char *path, uint64_t max_size);

/* Flushes, closes and frees what *f holds. */
void log_file_close(struct log_file *f);

/* Appends len bytes of formatted output. Writes the buffer first when the
 * bytes do not fit (large pieces are written together with it without being
 * copied). While the file is failing, the bytes are dropped and counted. */
void log_file_put(struct log_file *f, const char *data, size_t len);

/* Writes everything buffered. Returns 0, or the negative errno of a failed
 * write (the bytes were dropped and counted). */
int log_file_flush(struct log_file *f);

/* Lets a failing file try again once now (monotonic ms) has passed its
 * retry time (and reopens it if its path could not be opened). Returns 1
 * when writes resume after bytes were dropped: the caller may then put a
 * note saying so (and set note_pending); else 0. */
int log_file_tick(struct log_file *f, int64_t now);

/* Returns 1 if the file has reached max_size (counting what is buffered). */
int log_file_size_reached(const struct log_file *f);

/* Bytes that can still be put before the file reaches max_size (0 when it
 * has), or UINT64_MAX when size rotation does not apply now (no max_size,
 * not a regular file, or rotation paused after a failure). */
uint64_t log_file_room(const struct log_file *f);

/* Rotates the file: flushes, locks, and if the name still names our file
 * and `why` holds, renames it to its rotated name (log_name.h) for the
 * wall-clock time wall_ms and opens a new file of the same name. The
 * rotated base name (in f->dirfd) is stored in rotated (size rotated_size).
 * Returns 1 if we rotated, 0 if no rotation was needed or another writer
 * did it (then the new file is opened), or a negative errno. */
int log_file_rotate(struct log_file *f, enum log_rotate_why why, int64_t wall_ms, char *rotated,
                    size_t rotated_size);

/* Flushes, then opens the path again, from its directory on (after an
 * external rotation). Returns 0 or the negative errno of the open (the file
 * then drops bytes and retries like after a write failure). */
int log_file_reopen(struct log_file *f);

/* Flushes, then empties the file we hold (never a fresh lookup of the
 * path). Returns 0 or a negative errno; pipes and devices are left alone. */
int log_file_truncate(struct log_file *f);

/* Frees the write buffer if it is empty (call when idle). */
void log_file_trim(struct log_file *f);

/* Deletes the oldest rotated files of f (compressed or not, in the
 * directory f holds) so that at most retain remain; the rotated file named
 * busy (a base name, or NULL) is never deleted. Returns the number of files
 * deleted or a negative errno if the directory cannot be read. */
int log_file_prune(const struct log_file *f, unsigned retain, const char *busy);
