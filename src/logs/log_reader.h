/* log_reader.h - reading log files the way `drover logs` needs: the rotated
 * files of a log in order, the last N lines of a file, and following a log
 * across rotation, external rename + reopen, and truncation.
 *
 * Works on the files alone, never asks the daemon or a supervisor, so it
 * keeps working while they are busy or gone. No event loop: the caller
 * decides when to read (after an inotify event or a timer) and calls
 * log_follow_read; nothing here blocks except on disk I/O.
 *
 * Following. A log is its current path plus its rotated files (log_name.h:
 * <stem>__YYYY-MM-DD_HH-MM-SS[_NNNN]<ext>, whose names sort by age). The
 * follower holds one open file and a byte offset:
 *
 * - a file opened through the log's path is the current file until the
 *   path names another file (the logger rotated it, or logrotate moved it
 *   and drover reopened); then the follower reads it to its end and moves
 *   on. While the path names nothing (moved and not reopened yet) the
 *   follower stays on the file it has, which the app still writes to;
 * - moving on goes to the next rotated file by name after the one just
 *   read (found by inode among the rotated files), else to the current
 *   path, from offset 0. So when several rotations happened between two
 *   reads, every file is read once, in order: nothing is lost or repeated;
 * - a rotated file that was compressed (.gz) before it could be read is
 *   skipped and counted in skipped_files (the reader has no zlib);
 * - a file that got shorter than the offset was truncated (drover flush):
 *   the pending partial line is delivered and reading restarts at 0.
 *
 * Lines are split with line_splitter (only '\n' ends a line); a line longer
 * than LOG_READER_MAX_LINE is delivered in pieces flagged LINE_END_SPLIT,
 * so memory stays bounded. An unfinished last line is kept until its
 * newline comes, the file is left, or log_follow_finish is called.
 *
 * Ownership: struct log_follow is the caller's; log_follow_free releases
 * what the functions allocated and closes the fd. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "logs/line_splitter.h"

/* Longest line kept whole (a logger piece of 1 MiB plus its marker and a
 * timestamp fits). */
#define LOG_READER_MAX_LINE (1024u * 1024u + 4096u)
/* Bytes read with one read(2). */
#define LOG_READER_CHUNK (64u * 1024u)

/* Finds where the last n_lines lines of the first `end` bytes of fd start,
 * reading backwards from end in LOG_READER_CHUNK blocks (memory does not
 * depend on line length). A last line without '\n' counts as a line.
 * Stores the offset in *start and the number of lines found (at most
 * n_lines, fewer when the file has fewer) in *found. Returns 0 or a
 * negative errno. */
int log_reader_tail_start(int fd, uint64_t end, unsigned n_lines, uint64_t *start, unsigned *found);

/* Receives one line (or piece, see above) without its newline; valid only
 * during the call. */
typedef void (*log_follow_cb)(void *ctx, const char *line, size_t len, enum line_end end);

struct log_follow {
    char *path;         /* the log's current path; owned */
    char *dir;          /* its directory; owned */
    const char *base;   /* its base name (inside path) */
    int fd;             /* the file being read, -1 when none is open */
    dev_t dev;          /* identity of fd's file */
    ino_t ino;          /* */
    int by_path;        /* fd was opened through path (it is, or was, the current file) */
    char *rotated_name; /* base name of the rotated file fd is, when known; owned */
    char *cursor;       /* base name of the last rotated file read to its end; owned */
    uint64_t pos;       /* next byte of fd to read */
    struct line_splitter split;
    uint64_t skipped_files; /* compressed rotated files that could not be read */
    uint64_t truncations;   /* times the file was found shorter than pos */
};

/* Prepares a follower of the log at path without opening anything.
 * Returns 0 or -ENOMEM / -ENAMETOOLONG. */
int log_follow_init(struct log_follow *f, const char *path);

/* Positions the follower so that reading delivers the last n_lines lines of
 * the log, going back into uncompressed rotated files when the current
 * file has fewer; with n_lines 0 at the end of the current file. A missing
 * current file is waited for (read from its start once it appears). If
 * backlog is not NULL, it gets the number of bytes between the start and
 * the end of the current file as seen now (what a one-shot print reads).
 * Returns 0 or a negative errno of the I/O. */
int log_follow_start(struct log_follow *f, unsigned n_lines, uint64_t *backlog);

/* Positions the follower at offset 0 of the current file (a log that
 * appeared after following began). Returns 0 or a negative errno. */
int log_follow_start_at_beginning(struct log_follow *f);

/* Reads what is new, at most about budget bytes, delivering complete lines
 * to cb, and follows rotation and truncation as described above. Returns 1
 * when the budget ran out before the end was reached (call again), 0 when
 * caught up, or a negative errno of a read (the follower then closes the
 * file and tries the path again on the next call). */
int log_follow_read(struct log_follow *f, uint64_t budget, log_follow_cb cb, void *ctx);

/* Delivers the pending unfinished line, if any (LINE_END_EOF). */
void log_follow_finish(struct log_follow *f, log_follow_cb cb, void *ctx);

/* Closes the file and frees what the follower holds. */
void log_follow_free(struct log_follow *f);
