/* logger.h - capture of one instance's stdout and stderr into log files.
 *
 * Runs inside the instance supervisor (drover-sup), on its event loop. The
 * supervisor creates the two pipes once and hands their read ends to the
 * logger; every incarnation of the app writes into the same pipes, so
 * nothing is lost across restarts. The logger splits the byte stream into
 * lines, formats each line (raw, timestamp-prefixed, or JSON), batches
 * writes, rotates files in place (rename + reopen), and never blocks
 * supervision: memory is bounded and bytes it cannot write are dropped and
 * counted.
 *
 * Must build with musl (the supervisor is static): no zlib here; compression
 * of rotated files runs in the drover-gzip helper process.
 *
 * What lands in the files (details in line_format.h, line_splitter.h,
 * log_file.h, log_name.h):
 *
 * - Lines. Every line is formatted on its own: with timestamps each line
 *   gets "<timestamp>: " (date_format is strftime(3) in local time plus %L
 *   for milliseconds; default "%Y-%m-%dT%H:%M:%S.%L%z"); in JSON mode each
 *   line is one object {"message","timestamp","type","process_id",
 *   "app_name"} and the output is always valid JSON and UTF-8 (invalid
 *   bytes become \ufffd, control bytes \u00XX). Raw mode passes bytes
 *   through untouched, NULs and binary included. A last line without '\n'
 *   is terminated when the app exits (logger_drain) or the pipe closes.
 * - Long lines. Lines up to LOGGER_MAX_LINE (1 MiB) are written whole. A
 *   longer line is written as 1 MiB pieces; every piece but the last ends
 *   with the marker " [drover: line continues]" before its newline (JSON:
 *   carries "partial":true), so a split is visible and reversible.
 * - Output without a newline. Bytes that end no line (a prompt, progress
 *   text) wait for their newline, but once their stream has been idle for
 *   LOGGER_PARTIAL_IDLE_MS (300 ms, logger.c) they are written as a piece
 *   of a split line (the marker, or "partial":true), stamped with the time
 *   they were read; the bytes that follow on that line are its next piece.
 * - Rotation. At a line boundary (the pieces of a split line count as
 *   lines, so a line that never ends cannot grow a file without bound), when a file has reached
 * max_size or when a rotate_interval_ms period boundary passes (periods count from local midnight,
 * so 1 day rotates at 00:00 and 1 hour on the hour; an empty file is not rotated), the file is
 * renamed to <stem>__YYYY-MM-DD_HH-MM-SS[_NNNN]<ext> (UTC time of the rotation, counter 0001-9999
 * when several rotations share a second: names sort by age) and reopened. The newest `retain`
 * rotated files are kept. With compress, the helper (`compress_helper --at <rotated>`, given the
 * file and its directory as fds, log_compress.h) turns it into <rotated>.gz, one helper at a time.
 * Files are opened, rotated and deleted inside directories held by fd, never through a symlink
 * someone else planted (log_file.h). Files shared with other writers (log_file, merged logs, an old
 * and a new instance during a reload) are followed: before each write the path is checked, and
 * rotation is decided under flock.
 * - Failures. A failing disk (ENOSPC, EIO, ...) never blocks the app or the
 *   supervisor: the pipes are still read, the lines are dropped and counted
 *   in bytes_dropped, writing is retried once a second, and on recovery a
 *   line "drover: N bytes of output were lost (<reason>)" is written. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ev_loop;
struct logger;

/* Lines up to this many bytes (without the newline) are never split. */
#define LOGGER_MAX_LINE (1024u * 1024u)
/* Appended to a piece of a split line that another piece continues. */
#define LOGGER_CONTINUATION_MARKER " [drover: line continues]"

enum log_format { LOG_FORMAT_RAW, LOG_FORMAT_JSON };
enum log_stream { LOG_STREAM_OUT, LOG_STREAM_ERR };

struct log_config {
    const char *app_name;
    int64_t instance_id;
    /* Destination files. NULL, "" or "/dev/null" discards that stream. The
     * combined path (PM2's log_file) receives both streams in addition. The
     * same path given twice is opened once (a line is never written twice
     * to one file). */
    const char *out_path;
    const char *err_path;
    const char *combined_path;
    int timestamps;          /* prefix every line (PM2 --time / time: true) */
    const char *date_format; /* strftime format + %L (ms); NULL for the default; < 128 bytes */
    enum log_format format;
    uint64_t max_size;           /* rotate when a file reaches this size; 0: never */
    unsigned retain;             /* rotated files kept per log; 0: keep all */
    int compress;                /* gzip rotated files (through compress_helper) */
    int64_t rotate_interval_ms;  /* also rotate on this period (min 1000); 0: never */
    const char *compress_helper; /* path of the drover-gzip binary (required with compress) */
};

/* Creates a logger and opens its files (creating them 0640, parent dirs as
 * needed). Returns NULL with errno set when a file cannot be opened, or
 * EINVAL for a bad config (compress without compress_helper, date_format
 * of 128 bytes or more). */
struct logger *logger_new(struct ev_loop *loop, const struct log_config *cfg);

/* Starts reading the pipes' read ends (the logger takes ownership and makes
 * them non-blocking; it owns them even when this fails). Either may be -1.
 * A stream that is already watched gets the new fd (the old one is
 * drained and closed). Returns 0 or a negative errno. */
int logger_watch(struct logger *lg, int out_fd, int err_fd);

/* Reads everything still buffered in the pipes without waiting, writes it,
 * and terminates a pending partial line. Called when the app has exited so
 * its last lines land before the exit is reported. */
void logger_drain(struct logger *lg);

/* Writes one line that did not come from the app (e.g. "exec failed: ...")
 * to the given stream, formatted like app lines. Embedded newlines start
 * new lines. */
void logger_note(struct logger *lg, enum log_stream stream, const char *line);

/* Reopens every file by path (after an external rotation). Returns 0 or
 * the first negative errno (a file that cannot be reopened drops its lines
 * and retries). */
int logger_reopen(struct logger *lg);

/* Empties every file (drover flush). Returns 0 or the first negative errno. */
int logger_truncate(struct logger *lg);

/* The supervisor reaps every child (waitpid on SIGCHLD) and must report
 * each one here: returns 1 if pid was this logger's compression helper
 * (then the next rotated file is handed to a new helper), 0 otherwise. */
int logger_child_exited(struct logger *lg, pid_t pid, int status);

/* The pid of the running compression helper, 0 if none (the supervisor
 * keeps it out of the app's process tree). */
pid_t logger_helper_pid(const struct logger *lg);

struct logger_stats {
    /* lines written (both streams; each piece of a split line counts) */
    uint64_t lines;
    /* bytes that reached the files (a line sent to two files counts twice) */
    uint64_t bytes_written;
    /* bytes lost to a full or failing disk */
    uint64_t bytes_dropped;
    /* rotations this logger did (not those of other writers of a file) */
    uint64_t rotations;
    /* rotated files left uncompressed (the helper failed, or too many waited) */
    uint64_t compress_failures;
};

/* Copies the counters since logger_new into *out. */
void logger_get_stats(const struct logger *lg, struct logger_stats *out);

/* Stops watching, flushes what is buffered, closes files, frees. Pending
 * partial lines are written (terminated). A running compression helper is
 * left to finish; the supervisor still reaps it. */
void logger_free(struct logger *lg);
