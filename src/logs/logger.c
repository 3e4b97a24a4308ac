/* logger.c - the capture engine: pipes -> lines -> formatted -> files, on
 * the supervisor's event loop. The pieces: line_splitter (bytes to lines),
 * line_format (raw / timestamp / JSON), log_file (batching, failures,
 * rotation), log_compress (drover-gzip helper). */
#include "logs/logger.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/timeutil.h"
#include "logs/line_format.h"
#include "logs/line_splitter.h"
#include "logs/log_compress.h"
#include "logs/log_file.h"
#include "loop/loop.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOGGER_READ_SIZE (64u * 1024u)         /* one read(2) */
#define LOGGER_READ_BUDGET (512u * 1024u)      /* per stream per loop wakeup */
#define LOGGER_DRAIN_MAX (16u * 1024u * 1024u) /* a drain stops after this much */
#define LOGGER_IDLE_MS 3000                    /* buffers are released after this */
#define LOGGER_MIN_INTERVAL_MS 1000            /* shortest rotate_interval_ms */
#define LOGGER_SPLIT_WAITS 50                  /* 5 s at most for a split line */
#define LOGGER_PARTIAL_IDLE_MS 300 /* output without '\n' is written after this idle time */

_Static_assert(LOGGER_MAX_LINE == LINE_SPLITTER_MAX_LINE, "one line limit");

struct logger_stream {
    struct logger *lg;
    enum log_stream which;
    int fd; /* pipe read end, -1 when not watched */
    struct line_splitter split;
    struct log_file *targets[2];
    unsigned n_targets;
    int in_split;           /* the last piece was LINE_END_SPLIT: keep the next with it */
    int64_t last_read_ms;   /* monotonic ms of the last bytes read */
    int64_t last_read_wall; /* their wall-clock time: a flushed partial line's stamp */
};

struct logger {
    struct ev_loop *loop;
    struct line_format fmt;
    struct log_file files[3];
    unsigned n_files;
    struct logger_stream streams[2];
    char *read_buf; /* LOGGER_READ_SIZE, allocated while busy */
    unsigned retain;
    int64_t rotate_interval_ms;
    int compress;
    struct log_compress comp;
    int64_t idle_timer;
    int64_t interval_timer;
    int64_t partial_timer;   /* flushes unfinished lines of idle streams */
    unsigned interval_waits; /* postponed for a split line, 100 ms each */
    int64_t last_activity;   /* monotonic ms */
    uint64_t lines;
};

static int path_discards(const char *path)
{
    return !path || !*path || strcmp(path, "/dev/null") == 0;
}

/* --- rotation --- */

static void prune_all(struct logger *lg)
{
    if (lg->retain == 0)
        return;
    for (unsigned i = 0; i < lg->n_files; i++)
        if (lg->files[i].regular)
            (void)log_file_prune(&lg->files[i], lg->retain, log_compress_running(&lg->comp));
}

static void rotate_file(struct logger *lg, struct log_file *f, enum log_rotate_why why)
{
    char rotated[PATH_MAX];
    if (log_file_rotate(f, why, wall_ms(), rotated, sizeof(rotated)) != 1)
        return;
    if (lg->compress)
        (void)log_compress_add(&lg->comp, f->dirfd, rotated);
    if (lg->retain > 0)
        (void)log_file_prune(f, lg->retain, log_compress_running(&lg->comp));
}

/* Period index of a wall-clock time, periods aligned to local midnight. */
static int64_t period_of(int64_t wall, int64_t interval_ms, int64_t gmtoff_ms)
{
    int64_t t = wall + gmtoff_ms;
    int64_t q = t / interval_ms;
    return (t % interval_ms < 0) ? q - 1 : q;
}

static int64_t local_gmtoff_ms(int64_t wall)
{
    time_t secs = (time_t)(wall / 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm))
        return 0;
    return (int64_t)tm.tm_gmtoff * 1000;
}

static void on_interval(struct ev_loop *loop, void *data);

static void arm_interval(struct logger *lg)
{
    int64_t now = wall_ms();
    int64_t off = local_gmtoff_ms(now);
    int64_t next = (period_of(now, lg->rotate_interval_ms, off) + 1) * lg->rotate_interval_ms - off;
    int64_t id = ev_timer_add(lg->loop, next - now + 5, on_interval, lg);
    lg->interval_timer = id > 0 ? id : 0;
}

static void on_interval(struct ev_loop *loop, void *data)
{
    struct logger *lg = data;
    lg->interval_timer = 0;
    /* a long line is being written in pieces: wait (a little) for its end */
    if ((lg->streams[0].in_split || lg->streams[1].in_split) &&
        lg->interval_waits++ < LOGGER_SPLIT_WAITS) {
        int64_t id = ev_timer_add(loop, 100, on_interval, lg);
        lg->interval_timer = id > 0 ? id : 0;
        return;
    }
    lg->interval_waits = 0;
    int64_t now = wall_ms();
    int64_t off = local_gmtoff_ms(now);
    int64_t period = period_of(now, lg->rotate_interval_ms, off);
    for (unsigned i = 0; i < lg->n_files; i++) {
        struct log_file *f = &lg->files[i];
        if (period_of(f->opened_wall_ms, lg->rotate_interval_ms, off) < period)
            rotate_file(lg, f, LOG_ROTATE_INTERVAL);
    }
    arm_interval(lg);
}

/* --- lines to files --- */

static void sink_targets(void *ctx, const char *data, size_t len)
{
    struct logger_stream *s = ctx;
    for (unsigned i = 0; i < s->n_targets; i++)
        log_file_put(s->targets[i], data, len);
}

static void sink_file(void *ctx, const char *data, size_t len)
{
    log_file_put(ctx, data, len);
}

static void on_line(void *ctx, const char *line, size_t len, enum line_end end)
{
    struct logger_stream *s = ctx;
    struct logger *lg = s->lg;
    /* rotate between lines; also between the pieces of a line longer than
     * LOGGER_MAX_LINE (each ends with the continuation marker), or a line
     * that never ends would grow one file without bound */
    for (unsigned i = 0; i < s->n_targets; i++)
        if (log_file_size_reached(s->targets[i]))
            rotate_file(lg, s->targets[i], LOG_ROTATE_SIZE);
    line_format_line(&lg->fmt, s->which, line, len, end, sink_targets, s);
    s->in_split = end == LINE_END_SPLIT;
    lg->lines++;
}

/* Raw lines without timestamps go to the files as they came: the complete
 * lines of a chunk are put in one piece (a copy per chunk, not per line),
 * cut only where a file reaches max_size so that rotation still happens
 * between the same lines as line by line. Only the unfinished last line
 * goes through the splitter. */
static int can_pass_through(const struct logger *lg)
{
    return lg->fmt.format == LOG_FORMAT_RAW && !lg->fmt.timestamps;
}

static uint64_t count_lines(const char *p, size_t len)
{
    uint64_t n = 0;
    const char *end = p + len;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
        n++;
        p++;
    }
    return n;
}

static void feed_raw(struct logger *lg, struct logger_stream *s, const char *data, size_t len)
{
    if (line_splitter_pending(&s->split) > 0 || s->in_split) {
        /* the chunk ends a line begun earlier: finish it line by line */
        const char *nl = memchr(data, '\n', len);
        size_t head = nl ? (size_t)(nl - data) + 1 : len;
        (void)line_splitter_feed(&s->split, data, head, on_line, s);
        data += head;
        len -= head;
        if (len == 0 || s->in_split || line_splitter_pending(&s->split) > 0) {
            (void)line_splitter_feed(&s->split, data, len, on_line, s);
            return;
        }
    }
    const char *last_nl = memrchr(data, '\n', len);
    size_t whole = last_nl ? (size_t)(last_nl - data) + 1 : 0;
    const char *p = data;
    size_t left = whole;
    while (left > 0) {
        uint64_t room = UINT64_MAX;
        for (unsigned i = 0; i < s->n_targets; i++) {
            if (log_file_size_reached(s->targets[i]))
                rotate_file(lg, s->targets[i], LOG_ROTATE_SIZE);
            room = MIN(room, log_file_room(s->targets[i]));
        }
        size_t take = left;
        if (room < left) {
            /* up to the end of the line that makes a file reach max_size */
            size_t from = room > 0 ? (size_t)room - 1 : 0;
            const char *nl = memchr(p + from, '\n', left - from);
            take = (size_t)(nl - p) + 1; /* found: the block ends with '\n' */
        }
        lg->lines += count_lines(p, take);
        sink_targets(s, p, take);
        p += take;
        left -= take;
    }
    if (len > whole)
        (void)line_splitter_feed(&s->split, data + whole, len - whole, on_line, s);
}

/* --- batches: tick before, flush after --- */

static void on_idle(struct ev_loop *loop, void *data);

static void begin_batch(struct logger *lg)
{
    int64_t now = ev_loop_now(lg->loop);
    for (unsigned i = 0; i < lg->n_files; i++) {
        struct log_file *f = &lg->files[i];
        if (log_file_tick(f, now) != 1)
            continue;
        /* writes resume after a failure: say what was lost, in the file */
        char note[160];
        int n = snprintf(note, sizeof(note), "drover: %" PRIu64 " bytes of output were lost (%s)",
                         f->dropped_unreported, strerror(-f->last_error));
        if (n < 0)
            continue;
        line_format_set_time(&lg->fmt, wall_ms());
        line_format_line(&lg->fmt, LOG_STREAM_ERR, note, MIN((size_t)n, sizeof(note) - 1),
                         LINE_END_NEWLINE, sink_file, f);
        f->note_pending = 1;
    }
}

static void end_batch(struct logger *lg)
{
    for (unsigned i = 0; i < lg->n_files; i++)
        (void)log_file_flush(&lg->files[i]);
    lg->last_activity = ev_loop_now(lg->loop);
    if (lg->idle_timer == 0) {
        int64_t id = ev_timer_add(lg->loop, LOGGER_IDLE_MS, on_idle, lg);
        lg->idle_timer = id > 0 ? id : 0;
    }
}

/* Gives the busy-time buffers back once nothing happened for a while, so
 * an idle logger holds a few KB. */
static void on_idle(struct ev_loop *loop, void *data)
{
    struct logger *lg = data;
    int64_t idle_for = ev_loop_now(loop) - lg->last_activity;
    lg->idle_timer = 0;
    if (idle_for < LOGGER_IDLE_MS) {
        int64_t id = ev_timer_add(loop, LOGGER_IDLE_MS - idle_for, on_idle, lg);
        lg->idle_timer = id > 0 ? id : 0;
        return;
    }
    free(lg->read_buf);
    lg->read_buf = NULL;
    for (unsigned i = 0; i < lg->n_files; i++)
        log_file_trim(&lg->files[i]);
    for (unsigned i = 0; i < 2; i++)
        line_splitter_trim(&lg->streams[i].split);
}

/* --- reading the pipes --- */

/* Reads up to budget bytes. Returns 1 at end of file (or a read error),
 * else 0. */
static int read_stream(struct logger *lg, struct logger_stream *s, size_t budget)
{
    char small[4096];
    char *buf = lg->read_buf;
    size_t cap = LOGGER_READ_SIZE;
    if (!buf)
        buf = lg->read_buf = malloc(LOGGER_READ_SIZE);
    if (!buf) {
        buf = small; /* no memory: go on, slowly */
        cap = sizeof(small);
    }
    while (budget > 0) {
        ssize_t n = read(s->fd, buf, cap);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? 0 : 1;
        }
        if (n == 0)
            return 1;
        s->last_read_ms = ev_loop_now(lg->loop);
        s->last_read_wall = wall_ms();
        if (s->n_targets > 0 && can_pass_through(lg)) {
            feed_raw(lg, s, buf, (size_t)n);
        } else if (s->n_targets > 0) {
            line_format_set_time(&lg->fmt, s->last_read_wall);
            (void)line_splitter_feed(&s->split, buf, (size_t)n, on_line, s);
        }
        budget -= MIN((size_t)n, budget);
        if ((size_t)n < cap)
            break; /* the pipe is empty: spare the read that says so */
    }
    return 0;
}

static void stop_stream(struct logger *lg, struct logger_stream *s)
{
    if (s->fd >= 0) {
        ev_io_del(lg->loop, s->fd);
        close(s->fd);
        s->fd = -1;
    }
    line_splitter_finish(&s->split, on_line, s);
}

/* Output without a trailing newline (a prompt, progress text) waits for
 * its newline, but not for ever: once its stream has been idle for
 * LOGGER_PARTIAL_IDLE_MS, what came is written as a piece of a split line
 * (the continuation marker says the next bytes continue it), stamped with
 * the time it was read. Nothing is lost or written twice: the piece leaves
 * the splitter's buffer. */
static void on_partial_idle(struct ev_loop *loop, void *data)
{
    struct logger *lg = data;
    int64_t now = ev_loop_now(loop), wait = 0;
    lg->partial_timer = 0;
    for (unsigned i = 0; i < 2; i++) {
        struct logger_stream *s = &lg->streams[i];
        if (line_splitter_pending(&s->split) == 0)
            continue;
        int64_t idle = now - s->last_read_ms;
        if (idle < LOGGER_PARTIAL_IDLE_MS) {
            int64_t left = LOGGER_PARTIAL_IDLE_MS - idle;
            wait = wait ? MIN(wait, left) : left;
            continue;
        }
        begin_batch(lg);
        line_format_set_time(&lg->fmt, s->last_read_wall);
        (void)line_splitter_flush(&s->split, on_line, s);
        end_batch(lg);
    }
    if (wait > 0) {
        int64_t id = ev_timer_add(loop, wait, on_partial_idle, lg);
        lg->partial_timer = id > 0 ? id : 0;
    }
}

static void on_readable(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct logger_stream *s = data;
    struct logger *lg = s->lg;
    (void)fd;
    (void)events;
    begin_batch(lg);
    if (read_stream(lg, s, LOGGER_READ_BUDGET))
        stop_stream(lg, s);
    end_batch(lg);
    if (lg->partial_timer == 0 && line_splitter_pending(&s->split) > 0) {
        int64_t id = ev_timer_add(loop, LOGGER_PARTIAL_IDLE_MS, on_partial_idle, lg);
        lg->partial_timer = id > 0 ? id : 0;
    }
}

/* --- public API --- */

/* The file for path, opened once. A file that cannot be opened (a planted
 * symlink, a missing permission) does not stop the app: it drops its lines,
 * retries, and the reason is noted in the other log. */
static struct log_file *file_for(struct logger *lg, const char *path, uint64_t max_size, int *err)
{
    if (path_discards(path))
        return NULL;
    for (unsigned i = 0; i < lg->n_files; i++)
        if (strcmp(lg->files[i].path, path) == 0)
            return &lg->files[i];
    struct log_file *f = &lg->files[lg->n_files];
    int r = log_file_init(f, path, max_size);
    if (r == -ENOMEM) {
        *err = r;
        return NULL;
    }
    lg->n_files++;
    return f;
}

/* Says in the app's logs which files could not be opened, and why. */
static void note_open_failures(struct logger *lg)
{
    for (unsigned i = 0; i < lg->n_files; i++) {
        const struct log_file *f = &lg->files[i];
        if (f->fd >= 0)
            continue;
        char line[PATH_MAX + 200];
        snprintf(line, sizeof(line), "drover: cannot open log file %s: %s%s", f->path,
                 strerror(-f->last_error),
                 f->last_error == -ELOOP || f->last_error == -EMLINK
                     ? " (a link someone else could have planted is never followed)"
                     : "");
        for (unsigned k = 0; k < 2; k++) {
            struct logger_stream *s = &lg->streams[k];
            int usable = 0;
            for (unsigned t = 0; t < s->n_targets; t++)
                usable |= s->targets[t]->fd >= 0;
            if (usable) {
                logger_note(lg, s->which, line);
                break;
            }
        }
    }
}

static void add_target(struct logger_stream *s, struct log_file *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < s->n_targets; i++)
        if (s->targets[i] == f)
            return;
    s->targets[s->n_targets++] = f;
}

struct logger *logger_new(struct ev_loop *loop, const struct log_config *cfg)
{
    if (cfg->compress && (!cfg->compress_helper || !*cfg->compress_helper)) {
        errno = EINVAL;
        return NULL;
    }
    struct logger *lg = calloc(1, sizeof(*lg));
    if (!lg)
        return NULL;
    lg->loop = loop;
    lg->retain = cfg->retain;
    if (cfg->rotate_interval_ms > 0)
        lg->rotate_interval_ms = MAX(cfg->rotate_interval_ms, LOGGER_MIN_INTERVAL_MS);
    lg->compress = cfg->compress;
    for (unsigned i = 0; i < 2; i++) {
        lg->streams[i].lg = lg;
        lg->streams[i].which = (enum log_stream)i;
        lg->streams[i].fd = -1;
        line_splitter_init(&lg->streams[i].split, LOGGER_MAX_LINE);
    }
    int r = line_format_init(&lg->fmt, cfg->format, cfg->timestamps, cfg->date_format,
                             cfg->app_name, cfg->instance_id);
    if (r < 0) {
        free(lg);
        errno = -r;
        return NULL;
    }
    if (cfg->compress && (r = log_compress_init(&lg->comp, cfg->compress_helper)) < 0)
        goto fail;

    int err = 0;
    struct log_file *out = file_for(lg, cfg->out_path, cfg->max_size, &err);
    struct log_file *errf = err ? NULL : file_for(lg, cfg->err_path, cfg->max_size, &err);
    struct log_file *comb = err ? NULL : file_for(lg, cfg->combined_path, cfg->max_size, &err);
    if (err < 0) {
        r = err;
        goto fail;
    }
    add_target(&lg->streams[LOG_STREAM_OUT], out);
    add_target(&lg->streams[LOG_STREAM_OUT], comb);
    add_target(&lg->streams[LOG_STREAM_ERR], errf);
    add_target(&lg->streams[LOG_STREAM_ERR], comb);
    if (lg->rotate_interval_ms > 0)
        arm_interval(lg);
    note_open_failures(lg);
    return lg;

fail:
    for (unsigned i = 0; i < lg->n_files; i++)
        log_file_close(&lg->files[i]);
    log_compress_free(&lg->comp);
    line_format_free(&lg->fmt);
    free(lg);
    errno = -r;
    return NULL;
}

static int watch_one(struct logger *lg, struct logger_stream *s, int fd)
{
    if (s->fd >= 0) {
        begin_batch(lg);
        (void)read_stream(lg, s, LOGGER_DRAIN_MAX);
        stop_stream(lg, s);
        end_batch(lg);
    }
    s->fd = fd;
    int r = fd_set_nonblock(fd, 1);
    if (r < 0)
        return r;
    (void)fd_set_cloexec(fd, 1);
    /* The pipe keeps its default capacity (64 KiB). Growing it with
     * F_SETPIPE_SZ measured no faster here, and every instance would draw
     * on the user's pipe quota (fs.pipe-user-pages-soft, 64 MiB): past it,
     * the kernel gives every new pipe of that user only 8 KiB. */
    return ev_io_add(lg->loop, fd, EV_READ, on_readable, s);
}

int logger_watch(struct logger *lg, int out_fd, int err_fd)
{
    int r = 0;
    if (out_fd >= 0)
        r = watch_one(lg, &lg->streams[LOG_STREAM_OUT], out_fd);
    if (err_fd >= 0) {
        int r2 = watch_one(lg, &lg->streams[LOG_STREAM_ERR], err_fd);
        if (r == 0)
            r = r2;
    }
    return r;
}

void logger_drain(struct logger *lg)
{
    begin_batch(lg);
    for (unsigned i = 0; i < 2; i++) {
        struct logger_stream *s = &lg->streams[i];
        if (s->fd >= 0 && read_stream(lg, s, LOGGER_DRAIN_MAX))
            stop_stream(lg, s);
        line_splitter_finish(&s->split, on_line, s);
    }
    end_batch(lg);
}

void logger_note(struct logger *lg, enum log_stream stream, const char *line)
{
    struct logger_stream *s = &lg->streams[stream == LOG_STREAM_ERR ? 1 : 0];
    if (s->n_targets == 0)
        return;
    begin_batch(lg);
    line_format_set_time(&lg->fmt, wall_ms());
    for (;;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        on_line(s, line, len, LINE_END_NEWLINE);
        if (!nl)
            break;
        line = nl + 1;
    }
    end_batch(lg);
}

int logger_reopen(struct logger *lg)
{
    int ret = 0;
    for (unsigned i = 0; i < lg->n_files; i++) {
        int r = log_file_reopen(&lg->files[i]);
        if (r < 0 && ret == 0)
            ret = r;
    }
    return ret;
}

int logger_truncate(struct logger *lg)
{
    int ret = 0;
    for (unsigned i = 0; i < lg->n_files; i++) {
        int r = log_file_truncate(&lg->files[i]);
        if (r < 0 && ret == 0)
            ret = r;
    }
    return ret;
}

int logger_child_exited(struct logger *lg, pid_t pid, int status)
{
    if (!lg->compress || !log_compress_child_exited(&lg->comp, pid, status))
        return 0;
    prune_all(lg); /* the file that was busy may now be one too many */
    return 1;
}

void logger_get_stats(const struct logger *lg, struct logger_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->lines = lg->lines;
    for (unsigned i = 0; i < lg->n_files; i++) {
        out->bytes_written += lg->files[i].bytes_written;
        out->bytes_dropped += lg->files[i].bytes_dropped;
        out->rotations += lg->files[i].rotations;
    }
    out->compress_failures = lg->comp.failed + lg->comp.skipped;
}

void logger_free(struct logger *lg)
{
    if (!lg)
        return;
    ev_timer_cancel(lg->loop, lg->idle_timer);
    ev_timer_cancel(lg->loop, lg->interval_timer);
    ev_timer_cancel(lg->loop, lg->partial_timer);
    for (unsigned i = 0; i < 2; i++) {
        stop_stream(lg, &lg->streams[i]);
        line_splitter_free(&lg->streams[i].split);
    }
    for (unsigned i = 0; i < lg->n_files; i++)
        log_file_close(&lg->files[i]);
    log_compress_free(&lg->comp);
    line_format_free(&lg->fmt);
    free(lg->read_buf);
    free(lg);
}

pid_t logger_helper_pid(const struct logger *lg)
{
    return lg->comp.pid;
}
