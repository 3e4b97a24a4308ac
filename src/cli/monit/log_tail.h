/* log_tail.h - the log pane of `drover monit`: the last lines of one
 * target's log files (an app name or an instance id), then what they get,
 * read from the files as `drover logs` does (logs/log_sources.h for which
 * files, logs/log_reader.h to read them), never through the daemon.
 *
 * Cost is bounded whatever an app writes: inotify on the files' directories
 * says when to read (log_tail_fd), at most LOG_TAIL_PASS_BYTES are read
 * per file per pass, and a file that has more than that waiting is skipped
 * to its last lines. The pane keeps the last LOG_TAIL_LINES lines, each cut
 * to LOG_TAIL_LINE_MAX bytes, from LOG_TAIL_FILES_MAX files at most.
 *
 * Ownership: struct log_tail is the caller's; log_tail_close frees what
 * the functions allocated and closes the inotify fd. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define LOG_TAIL_LINES 500
#define LOG_TAIL_LINE_MAX 1024
#define LOG_TAIL_PASS_BYTES (256u << 10)
#define LOG_TAIL_FILES_MAX 256

struct log_tail_line {
    int64_t id; /* the instance that wrote it */
    int err;    /* from its error stream */
    char *text; /* NUL-terminated; owned */
};

struct log_tail_file;

struct log_tail {
    char state_path[4096]; /* <home>/state.json */
    char *target;          /* owned; NULL before the first open */
    struct log_tail_file **files;
    size_t n_files;
    int ifd;                /* inotify, -1 when it could not be had */
    int64_t state_mtime_ns; /* state.json as last parsed */
    struct log_tail_line ring[LOG_TAIL_LINES];
    size_t head; /* index of the oldest line */
    size_t count;
    uint64_t added; /* lines ever added */
    int several;    /* the target has several instances */
};

/* Prepares an empty pane for the drover home (borrowed for the call).
 * Returns 0, or a negative errno (-ENAMETOOLONG). */
int log_tail_init(struct log_tail *t, const char *home);

/* Shows target: forgets the lines and files of the previous one, loads the
 * last n_lines lines of each of its files (the file written last comes
 * last) and starts following them. A target without log files is an empty
 * pane. Returns 0, -ENOENT when state.json knows no such target, -E2BIG
 * when it has more than LOG_TAIL_FILES_MAX files (the first ones are
 * shown), or another negative errno. */
int log_tail_open(struct log_tail *t, const char *target, unsigned n_lines);

/* The fd to watch for reading (inotify), or -1. */
int log_tail_fd(const struct log_tail *t);

/* Reads what inotify queued (call when log_tail_fd is readable), then what
 * the files got. Also notices instances that appeared in state.json (a
 * scale up) and follows their files. Returns 1 when lines were added. */
int log_tail_update(struct log_tail *t);

/* Line i of the pane, 0 the oldest, i < count. */
const struct log_tail_line *log_tail_line(const struct log_tail *t, size_t i);

/* Forgets everything; t can be opened again after log_tail_init. */
void log_tail_close(struct log_tail *t);
