/* log_compress.h - compression of rotated log files in a helper process.
 *
 * The supervisor is built with musl and without zlib, so rotated files are
 * handed to the helper (drover-gzip --at NAME), which reads the file from
 * its stdin, writes NAME.gz into the directory at its fd 3 and removes NAME
 * there. The supervisor opens both itself (the rotated file with
 * O_NOFOLLOW, in the directory the log file holds), so the helper never
 * resolves a path an app could have redirected; a rotated file that is not
 * ours (another owner, other hard links, not a regular file) is left alone.
 * One helper runs at a time per queue; the others wait in a queue of at
 * most LOG_COMPRESS_QUEUE_MAX files (beyond that a file stays
 * uncompressed). Starting a helper never waits for it; the owner of the
 * process reaps children and reports them with log_compress_child_exited().
 *
 * Ownership: the queue owns copies of the names and duplicates of the
 * directory fds; log_compress_free releases them and forgets a running
 * helper (it finishes on its own and is reaped by the process like any
 * other child). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#define LOG_COMPRESS_QUEUE_MAX 32

struct log_compress_item {
    int dirfd;  /* owned duplicate */
    char *name; /* owned; a base name in dirfd */
};

struct log_compress {
    char *helper;                     /* path of the helper binary; owned */
    pid_t pid;                        /* running helper, 0 if none */
    struct log_compress_item running; /* the file it compresses (name NULL: none) */
    struct log_compress_item queue[LOG_COMPRESS_QUEUE_MAX]; /* waiting, oldest first */
    unsigned n_queued;
    uint64_t started;
    uint64_t failed;  /* helpers that could not start or exited non-zero */
    uint64_t skipped; /* files left uncompressed because the queue was full */
};

/* Prepares an empty queue for helper (copied). Returns 0 or -ENOMEM. */
int log_compress_init(struct log_compress *c, const char *helper);

/* Queues the file name in the directory dirfd (both copied) and starts a
 * helper if none runs. Returns 0 or a negative errno (-ENOBUFS when the
 * queue is full). */
int log_compress_add(struct log_compress *c, int dirfd, const char *name);

/* Tells the queue that child pid exited with the given waitpid status.
 * Returns 1 if it was our helper (then the next file is started), else 0. */
int log_compress_child_exited(struct log_compress *c, pid_t pid, int status);

/* Returns the base name of the file being compressed, or NULL. */
const char *log_compress_running(const struct log_compress *c);

/* Frees the queue (see the header comment for a running helper). */
void log_compress_free(struct log_compress *c);
