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
 * of rotated files runs in the drover-gzip helper process. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct logger;

enum log_format { LOG_FORMAT_RAW, LOG_FORMAT_JSON };
enum log_stream { LOG_STREAM_OUT, LOG_STREAM_ERR };

struct log_config {
    const char *app_name;
    int64_t instance_id;
    /* Destination files. NULL, "" or "/dev/null" discards that stream. The
     * combined path (PM2's log_file) receives both streams in addition. */
    const char *out_path;
    const char *err_path;
    const char *combined_path;
    int timestamps;          /* prefix every line (PM2 --time / time: true) */
    const char *date_format; /* strftime format; NULL for the default */
    enum log_format format;
    uint64_t max_size;          /* rotate when a file reaches this size; 0: never */
    unsigned retain;            /* rotated files kept per log; 0: keep all */
    int compress;               /* gzip rotated files (through compress_helper) */
    int64_t rotate_interval_ms; /* also rotate on this period; 0: never */
    const char *compress_helper; /* path of the drover-gzip binary */
};

/* Creates a logger and opens its files (creating them 0640, parent dirs as
 * needed). Returns NULL with errno set when a file cannot be opened. */
struct logger *logger_new(struct ev_loop *loop, const struct log_config *cfg);

/* Starts reading the pipes' read ends (the logger takes ownership and makes
 * them non-blocking). Either may be -1. */
int logger_watch(struct logger *lg, int out_fd, int err_fd);

/* Reads everything still buffered in the pipes without waiting, writes it,
 * and terminates a pending partial line. Called when the app has exited so
 * its last lines land before the exit is reported. */
void logger_drain(struct logger *lg);

/* Writes one line that did not come from the app (e.g. "exec failed: ...")
 * to the given stream, formatted like app lines. */
void logger_note(struct logger *lg, enum log_stream stream, const char *line);

/* Reopens every file by path (after an external rotation). */
int logger_reopen(struct logger *lg);

/* Empties every file (drover flush). */
int logger_truncate(struct logger *lg);

struct logger_stats {
    uint64_t lines;         /* lines written (both streams) */
    uint64_t bytes_written; /* bytes that reached the files */
    uint64_t bytes_dropped; /* bytes lost to a full or failing disk */
    uint64_t rotations;
};

void logger_get_stats(const struct logger *lg, struct logger_stats *out);

/* Stops watching, flushes what is buffered, closes files, frees. */
void logger_free(struct logger *lg);
