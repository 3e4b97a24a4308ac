/* cmd_logs.c - `drover logs [target] [options]` (cli/logs_args.h): PM2's
 * prefixed lines, --raw, --json objects or --format key=value lines.
 *
 * Reads the log files itself (never the daemon): the files of the target
 * come from state.json (logs/log_sources.h), the last N lines of each are
 * printed (logs/log_reader.h), then every file is followed: inotify on the
 * log directories wakes the reader within milliseconds, inotify on the
 * drover home notices a new state.json (instances started later), and a
 * pass every second catches what inotify cannot see (a directory created
 * later, a full event queue). See docs/logs.md. */
#include "base/fdutil.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "cli/logs_args.h"
#include "logs/line_format.h"
#include "logs/log_reader.h"
#include "logs/log_sources.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOGS_PASS_BUDGET (4u << 20) /* bytes per file per pass */
#define LOGS_FULL_PASS_MS 1000      /* every file is checked this often */
#define LOGS_MAX_FILES 8192         /* files followed at most */
#define LOGS_STATE_MAX (256u << 20) /* state.json larger than this is refused */
#define LOGS_WATCH_MASK                                                                            \
    (IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_CLOSE_WRITE)

#define COLOR_OUT "\033[32m"
#define COLOR_ERR "\033[31m"
#define COLOR_RESET "\033[0m"
#define COLOR_HIGHLIGHT "\033[100m" /* PM2's bgBlackBright */
#define COLOR_HIGHLIGHT_END "\033[49m"

struct logs;

/* One followed file. */
struct tracked {
    struct logs *L;
    struct log_source src;
    struct log_follow fol;
    uint64_t backlog; /* bytes of the initial tail (--nostream reads that much) */
    int wd;           /* inotify watch of the file's directory, -1 if none */
    int dirty;        /* read it in the next pass */
    int mid_line;     /* output stopped inside a line (a piece of a long line) */
    char prefix[256];
    size_t prefix_len;
};

struct logs {
    const struct cli *c;
    struct logs_opts o;
    struct tracked **files;
    size_t n_files;
    int name_width;
    int ifd;
    int home_wd;
    char state_path[PATH_MAX];
    char ts[LINE_FORMAT_TS_MAX]; /* --timestamp text of the current pass */
    size_t ts_len;
};

/* --- output --- */

static void out(const char *data, size_t len)
{
    fwrite(data, 1, len, stdout);
}

static void json_sink(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    out(data, len);
}

static void out_json_string(const char *s, size_t len)
{
    out("\"", 1);
    line_format_json_escape(s, len, json_sink, NULL);
    out("\"", 1);
}

/* A line of a log_type json file is printed as it is when it is one valid
 * JSON object (it has our fields already); anything else is wrapped. */
static int is_json_object(const char *line, size_t len)
{
    if (len < 2 || line[0] != '{')
        return 0;
    json_t *v = json_loadb(line, len, 0, NULL);
    int ok = json_is_object(v);
    json_decref(v);
    return ok;
}

static void emit_json(struct logs *L, struct tracked *t, const char *line, size_t len,
                      enum line_end end)
{
    if (t->src.json && end != LINE_END_SPLIT && is_json_object(line, len)) {
        out(line, len);
        out("\n", 1);
        return;
    }
    char head[96];
    out("{\"app_name\":", 12);
    out_json_string(t->src.app_name, strlen(t->src.app_name));
    int n = snprintf(head, sizeof(head),
                     ",\"process_id\":%lld,\"type\":\"%s\",\"message\":", (long long)t->src.id,
                     t->src.stream == LOG_STREAM_ERR ? "err" : "out");
    out(head, (size_t)n);
    out_json_string(line, len);
    if (end == LINE_END_SPLIT)
        out(",\"partial\":true", 15);
    if (L->o.ts_format) {
        out(",\"timestamp\":", 13);
        out_json_string(L->ts, L->ts_len);
    }
    out("}\n", 2);
}

/* The line's text, with --highlight's text marked when colours are on. */
static void out_text(struct logs *L, const char *line, size_t len)
{
    const char *p = line, *end = line + len;
    while (L->o.highlight && L->c->color && p < end) {
        const char *hit = memmem(p, (size_t)(end - p), L->o.highlight, L->o.highlight_len);
        if (!hit)
            break;
        out(p, (size_t)(hit - p));
        out(COLOR_HIGHLIGHT, strlen(COLOR_HIGHLIGHT));
        out(hit, L->o.highlight_len);
        out(COLOR_HIGHLIGHT_END, strlen(COLOR_HIGHLIGHT_END));
        p = hit + L->o.highlight_len;
    }
    out(p, (size_t)(end - p));
}

/* --format: PM2's key=value line head (only message= with --raw). */
static void out_format_head(struct logs *L, struct tracked *t)
{
    if (!L->o.raw) {
        char head[96];
        out("timestamp=", 10);
        out(L->ts, L->ts_len);
        out(" app=", 5);
        out(t->src.app_name, strlen(t->src.app_name));
        int n = snprintf(head, sizeof(head), " id=%lld type=%s ", (long long)t->src.id,
                         t->src.stream == LOG_STREAM_ERR ? "error" : "out");
        out(head, (size_t)n);
    }
    out("message=", 8);
}

static void on_line(void *ctx, const char *line, size_t len, enum line_end end)
{
    struct tracked *t = ctx;
    struct logs *L = t->L;
    if (L->o.json) {
        emit_json(L, t, line, len, end);
        return;
    }
    if (!t->mid_line && L->o.format) {
        out_format_head(L, t);
    } else if (!t->mid_line) {
        if (!L->o.raw)
            out(t->prefix, t->prefix_len);
        if (L->o.ts_format) {
            out(L->ts, L->ts_len);
            out(": ", 2);
        }
    }
    out_text(L, line, len);
    /* a piece of a line longer than the reader keeps: the rest follows */
    t->mid_line = end == LINE_END_SPLIT;
    if (!t->mid_line)
        out("\n", 1);
}

/* Ends a line left open so that the next file's line starts on its own. */
static void end_open_line(struct tracked *t)
{
    if (t->mid_line)
        out("\n", 1);
    t->mid_line = 0;
}

static void stamp_now(struct logs *L)
{
    if (L->o.ts_format)
        L->ts_len = line_format_timestamp(L->o.ts_format, wall_ms(), L->ts);
}

/* Writes what is buffered. Returns 0, or 1 when stdout is gone, with the
 * exit code in *code (0 for a reader that closed the pipe, like `| head`). */
static int flush_out(int *code)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    *code = errno == EPIPE ? 0 : cli_error("cannot write the logs: %s", strerror(errno));
    return 1;
}

/* --- the files --- */

static void build_prefix(struct logs *L, struct tracked *t)
{
    const char *color = "", *reset = "";
    if (L->c->color) {
        color = t->src.stream == LOG_STREAM_ERR ? COLOR_ERR : COLOR_OUT;
        reset = COLOR_RESET;
    }
    int n = snprintf(t->prefix, sizeof(t->prefix), "%s%lld|%-*.100s |%s ", color,
                     (long long)t->src.id, L->name_width, t->src.app_name, reset);
    t->prefix_len = n < 0 ? 0 : MIN((size_t)n, sizeof(t->prefix) - 1);
}

static void watch_dir(struct logs *L, struct tracked *t)
{
    if (t->wd >= 0)
        return;
    int wd = inotify_add_watch(L->ifd, t->fol.dir, LOGS_WATCH_MASK);
    t->wd = wd >= 0 ? wd : -1;
}

static void watch_home(struct logs *L)
{
    if (L->home_wd >= 0 || L->ifd < 0)
        return;
    /* the same mask as the log directories: a second watch of one
     * directory replaces the first one's mask */
    int wd = inotify_add_watch(L->ifd, L->c->paths.home, LOGS_WATCH_MASK);
    L->home_wd = wd >= 0 ? wd : -1;
}

/* Where a file that appeared after we started begins: from its start when
 * it was created for this instance; an older file (an app deleted and
 * created again under the same name) from its end, not its history. */
static void start_later(struct tracked *t)
{
    struct statx stx;
    if (statx(AT_FDCWD, t->src.path, 0, STATX_BTIME | STATX_MTIME, &stx) < 0 ||
        t->src.created_at <= 0) {
        (void)log_follow_start_at_beginning(&t->fol);
        return;
    }
    int64_t born = (stx.stx_mask & STATX_BTIME)
                       ? (int64_t)stx.stx_btime.tv_sec * 1000 + stx.stx_btime.tv_nsec / 1000000
                       : (int64_t)stx.stx_mtime.tv_sec * 1000 + stx.stx_mtime.tv_nsec / 1000000;
    if (born + 1000 >= t->src.created_at)
        (void)log_follow_start_at_beginning(&t->fol);
    else
        (void)log_follow_start(&t->fol, 0, NULL);
}

/* Starts following src. later: the file showed up after the start. */
static int track(struct logs *L, const struct log_source *src, int later)
{
    struct stat st;
    if (stat(src->path, &st) == 0 && !S_ISREG(st.st_mode))
        return 0; /* a pipe, a terminal, a device: nothing to read */
    if (L->n_files >= LOGS_MAX_FILES)
        return -E2BIG;
    struct tracked **files = realloc(L->files, (L->n_files + 1) * sizeof(*files));
    if (!files)
        return -ENOMEM;
    L->files = files;
    struct tracked *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->L = L;
    t->wd = -1;
    t->dirty = 1;
    t->src = *src;
    t->src.app_name = strdup(src->app_name);
    t->src.path = strdup(src->path);
    int r = -ENOMEM;
    if (!t->src.app_name || !t->src.path || (r = log_follow_init(&t->fol, src->path)) < 0) {
        free(t->src.app_name);
        free(t->src.path);
        free(t);
        return r;
    }
    build_prefix(L, t);
    if (later)
        start_later(t);
    else if ((r = log_follow_start(&t->fol, L->o.lines, &t->backlog)) < 0)
        fprintf(stderr, "drover: warning: cannot read %s: %s\n", src->path, strerror(-r));
    if (L->ifd >= 0)
        watch_dir(L, t);
    L->files[L->n_files++] = t;
    return 0;
}

static void untrack_all(struct logs *L)
{
    for (size_t i = 0; i < L->n_files; i++) {
        log_follow_free(&L->files[i]->fol);
        free(L->files[i]->src.app_name);
        free(L->files[i]->src.path);
        free(L->files[i]);
    }
    free(L->files);
    L->files = NULL;
    L->n_files = 0;
}

static int load_sources(struct logs *L, struct log_sources *srcs)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = read_file_at(AT_FDCWD, L->state_path, LOGS_STATE_MAX, &text, &len);
    if (r == -ENOENT)
        len = 0;
    else if (r < 0)
        return r;
    return log_sources_parse(text, len, L->o.target, L->o.streams, srcs);
}

/* state.json changed: follow the files of instances that are new. */
static void reload_sources(struct logs *L)
{
    struct log_sources srcs;
    if (load_sources(L, &srcs) < 0)
        return; /* the target is gone, or state.json is unreadable: keep what we have */
    for (size_t i = 0; i < srcs.n; i++) {
        int known = 0;
        for (size_t k = 0; k < L->n_files && !known; k++)
            known = strcmp(L->files[k]->src.path, srcs.items[i].path) == 0;
        if (!known)
            (void)track(L, &srcs.items[i], 1);
    }
    log_sources_free(&srcs);
}

/* --- reading --- */

/* Reads every dirty file once. Returns 1 if one has more to read. */
static int read_pass(struct logs *L, uint64_t budget)
{
    int more = 0;
    stamp_now(L);
    for (size_t i = 0; i < L->n_files; i++) {
        struct tracked *t = L->files[i];
        if (!t->dirty)
            continue;
        int r = log_follow_read(&t->fol, budget, on_line, t);
        t->dirty = r == 1;
        more |= t->dirty;
        end_open_line(t);
    }
    return more;
}

static void mark_all(struct logs *L)
{
    for (size_t i = 0; i < L->n_files; i++)
        L->files[i]->dirty = 1;
}

/* Handles the queued inotify events. Returns 1 if state.json changed. */
static int read_events(struct logs *L)
{
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    int state_changed = 0;
    for (;;) {
        ssize_t n = read(L->ifd, buf, sizeof(buf));
        if (n <= 0)
            return state_changed;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof(*ev) + ev->len;
            const char *name = ev->len ? ev->name : NULL;
            if (ev->mask & IN_Q_OVERFLOW) {
                mark_all(L);
                state_changed = 1;
                continue;
            }
            if (ev->wd == L->home_wd && name && strcmp(name, "state.json") == 0)
                state_changed = 1;
            for (size_t i = 0; i < L->n_files; i++) {
                struct tracked *t = L->files[i];
                if (t->wd != ev->wd)
                    continue;
                if (ev->mask & IN_IGNORED) { /* the directory went away */
                    t->wd = -1;
                    t->dirty = 1;
                } else if (!(ev->mask & IN_MODIFY) || !name || !strcmp(name, t->fol.base) ||
                           (t->fol.rotated_name && !strcmp(name, t->fol.rotated_name))) {
                    t->dirty = 1;
                }
            }
            if ((ev->mask & IN_IGNORED) && ev->wd == L->home_wd)
                L->home_wd = -1;
        }
    }
}

static int setup_signals(sigset_t *mask)
{
    signal(SIGPIPE, SIG_IGN); /* `drover logs | head`: a write fails with EPIPE */
    sigemptyset(mask);
    sigaddset(mask, SIGINT);
    sigaddset(mask, SIGTERM);
    sigaddset(mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, mask, NULL) < 0)
        return neg_errno();
    int fd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
    return fd < 0 ? neg_errno() : fd;
}

static int follow(struct logs *L)
{
    sigset_t mask;
    _cleanup_close_ int sfd = setup_signals(&mask);
    if (sfd < 0)
        return cli_error("cannot set up signals: %s", strerror(-sfd));
    int64_t next_full = mono_ms() + LOGS_FULL_PASS_MS;
    for (;;) {
        int more = read_pass(L, LOGS_PASS_BUDGET);
        int code;
        if (flush_out(&code))
            return code;
        int64_t now = mono_ms();
        struct pollfd pfd[2] = {{.fd = L->ifd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        int timeout = more ? 0 : (int)MAX(0, next_full - now);
        if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
            return cli_error("poll failed: %s", strerror(errno));
        if (pfd[1].revents & POLLIN)
            return 0; /* SIGINT, SIGTERM, SIGHUP: what was read is printed */
        int state_changed = (pfd[0].revents & POLLIN) ? read_events(L) : 0;
        now = mono_ms();
        if (now >= next_full) {
            /* what inotify cannot tell: directories created since, a
             * state.json we could not watch, files on network mounts */
            mark_all(L);
            for (size_t i = 0; i < L->n_files; i++)
                watch_dir(L, L->files[i]);
            if (L->home_wd < 0) {
                watch_home(L);
                state_changed = 1;
            }
            next_full = now + LOGS_FULL_PASS_MS;
        }
        if (state_changed)
            reload_sources(L);
    }
}

/* --- the verb --- */

static int print_once(struct logs *L)
{
    stamp_now(L);
    for (size_t i = 0; i < L->n_files; i++) {
        struct tracked *t = L->files[i];
        if (t->backlog > 0)
            (void)log_follow_read(&t->fol, t->backlog, on_line, t);
        log_follow_finish(&t->fol, on_line, t);
        end_open_line(t);
    }
    int code = 0;
    (void)flush_out(&code);
    return code;
}

int cmd_logs(struct cli *c)
{
    static char outbuf[64 * 1024];
    struct logs L = {.c = c, .ifd = -1, .home_wd = -1};
    int r = logs_args_parse(c, &L.o);
    if (r)
        return r;
    if (path_join(L.state_path, c->paths.home, "state.json") < 0)
        return cli_error("the drover home path is too long");

    struct log_sources srcs;
    r = load_sources(&L, &srcs);
    if (r == -ENOENT)
        return cli_error("process or namespace '%s' not found", L.o.target);
    if (r < 0)
        return cli_error("cannot read %s: %s", L.state_path, strerror(-r));
    for (size_t i = 0; i < srcs.n; i++)
        L.name_width = MAX(L.name_width, (int)MIN(strlen(srcs.items[i].app_name), 100));

    /* one fd per followed file: hundreds of instances pass the usual
     * soft limit of 1024 */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    if (!L.o.nostream) {
        L.ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (L.ifd < 0) {
            log_sources_free(&srcs);
            return cli_error("cannot watch the log files: %s", strerror(errno));
        }
        watch_home(&L);
    }
    for (size_t i = 0; i < srcs.n && r >= 0; i++)
        r = track(&L, &srcs.items[i], 0);
    log_sources_free(&srcs);
    if (r < 0) {
        untrack_all(&L);
        return cli_error("cannot follow the logs: %s", strerror(-r));
    }

    if (L.o.nostream)
        r = print_once(&L);
    else
        r = follow(&L);
    untrack_all(&L);
    if (L.ifd >= 0)
        close(L.ifd);
    return r;
}
