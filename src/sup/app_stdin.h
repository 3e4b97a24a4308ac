/* app_stdin.h - the app's stdin: a pipe whose two ends the supervisor
 * holds for its whole life, shared by every run of the app like its
 * stdout/stderr pipes. `drover send` writes lines into it (control.c,
 * command "stdin"); it outlives the daemon because the supervisor does.
 * An app that never reads its stdin just leaves the bytes in the pipe; one
 * that reads it after a restart gets what was sent while it was down.
 *
 * Writing never blocks the supervisor: what the pipe cannot take at once
 * waits in a queue of at most APP_STDIN_QUEUE_MAX bytes and is written as
 * the app reads; a write that would not fit is refused whole, so an app
 * never sees half a line. The read end is put back in blocking mode
 * before each run (node leaves its stdin non-blocking, and the next run
 * may be another program). */
#pragma once

#include <stddef.h>

struct ev_loop;

#define APP_STDIN_QUEUE_MAX (64u * 1024) /* bytes waiting beyond the pipe */

struct app_stdin {
    struct ev_loop *loop;
    int read_fd;  /* the app's fd 0; -1 when not open */
    int write_fd; /* ours, non-blocking; -1 when not open */
    char *queue;  /* APP_STDIN_QUEUE_MAX bytes once something had to wait */
    size_t queued;
};

/* Creates the pipe (both ends O_CLOEXEC). Returns 0 or a negative errno;
 * in starts closed either way until then. */
int app_stdin_open(struct app_stdin *in, struct ev_loop *loop);

/* Writes len bytes (or queues what the pipe cannot take now). Returns 0,
 * -EMSGSIZE when len alone exceeds APP_STDIN_QUEUE_MAX, -ENOBUFS when the
 * queue has no room for it (the app does not read its stdin), -EBADF when
 * the pipe is not open, or another negative errno from write(). */
int app_stdin_write(struct app_stdin *in, const char *data, size_t len);

/* Bytes queued in the supervisor (not yet in the pipe). */
size_t app_stdin_queued(const struct app_stdin *in);

/* The fd to give the next run as its fd 0 (back in blocking mode), or -1
 * when the pipe is not open (the run then gets /dev/null). */
int app_stdin_fd_for_run(struct app_stdin *in);

/* Stops watching, closes both ends and drops the queue. */
void app_stdin_close(struct app_stdin *in);
