/* log_tail.c - the log pane of `drover monit` (log_tail.h). */
#include "cli/monit/log_tail.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/paths.h"
#include "logs/log_reader.h"
#include "logs/log_sources.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAX (256u << 20) /* a larger state.json is not read */
#define WATCH_MASK (IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)

static const char skipped_note[] = "[drover monit: lines skipped, the app writes faster than "
                                   "this pane shows; drover logs has them all]";

struct log_tail_file {
    struct log_tail *t;
    int64_t id;
    int err;
    char *path; /* owned */
    struct log_follow fol;
    int64_t mtime_ns; /* when opened: the order of the first lines */
};

static void push(struct log_tail *t, int64_t id, int err, const char *text, size_t len)
{
    char *copy = strndup(text, MIN(len, (size_t)LOG_TAIL_LINE_MAX));
    if (!copy)
        return;
    size_t slot;
    if (t->count == LOG_TAIL_LINES) {
        slot = t->head;
        free(t->ring[slot].text);
        t->head = (t->head + 1) % LOG_TAIL_LINES;
    } else {
        slot = (t->head + t->count++) % LOG_TAIL_LINES;
    }
    t->ring[slot] = (struct log_tail_line){.id = id, .err = err, .text = copy};
    t->added++;
}

static void on_line(void *ctx, const char *line, size_t len, enum line_end end)
{
    struct log_tail_file *f = ctx;
    (void)end;
    push(f->t, f->id, f->err, line, len);
}

static int64_t mtime_ns(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return 0;
    return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static void free_file(struct log_tail_file *f)
{
    log_follow_free(&f->fol);
    free(f->path);
    free(f);
}

static void forget_files(struct log_tail *t)
{
    for (size_t i = 0; i < t->n_files; i++) {
        if (t->ifd >= 0) {
            /* the directory's watch; a second removal of a shared one fails */
            int wd = inotify_add_watch(t->ifd, t->files[i]->fol.dir, WATCH_MASK);
            if (wd >= 0)
                inotify_rm_watch(t->ifd, wd);
        }
        free_file(t->files[i]);
    }
    free(t->files);
    t->files = NULL;
    t->n_files = 0;
}

static void forget_lines(struct log_tail *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->ring[(t->head + i) % LOG_TAIL_LINES].text);
    t->head = t->count = 0;
}

int log_tail_init(struct log_tail *t, const char *home)
{
    memset(t, 0, sizeof(*t));
    t->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    return path_join(t->state_path, home, "state.json");
}

/* The log files state.json lists for the target. */
static int load_sources(struct log_tail *t, struct log_sources *srcs)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    t->state_mtime_ns = mtime_ns(t->state_path);
    int r = read_file_at(AT_FDCWD, t->state_path, STATE_MAX, &text, &len);
    if (r < 0 && r != -ENOENT)
        return r;
    return log_sources_parse(r < 0 ? NULL : text, r < 0 ? 0 : len, t->target, LOG_SOURCES_BOTH,
                             srcs);
}

static int known(const struct log_tail *t, const char *path)
{
    for (size_t i = 0; i < t->n_files; i++)
        if (!strcmp(t->files[i]->path, path))
            return 1;
    return 0;
}

/* Starts following src: its last n_lines lines, or (a file that appeared
 * later, n_lines 0) from its start. */
static int track(struct log_tail *t, const struct log_source *src, unsigned n_lines, int later)
{
    struct stat st;
    if (stat(src->path, &st) == 0 && !S_ISREG(st.st_mode))
        return 0; /* a pipe or a device: nothing to tail */
    if (t->n_files >= LOG_TAIL_FILES_MAX)
        return -E2BIG;
    struct log_tail_file **files = realloc(t->files, (t->n_files + 1) * sizeof(*files));
    if (!files)
        return -ENOMEM;
    t->files = files;
    struct log_tail_file *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->t = t;
    f->id = src->id;
    f->err = src->stream == LOG_STREAM_ERR;
    f->path = strdup(src->path);
    int r = f->path ? log_follow_init(&f->fol, src->path) : -ENOMEM;
    if (r < 0) {
        free(f->path);
        free(f);
        return r;
    }
    f->mtime_ns = mtime_ns(src->path);
    r = later ? log_follow_start_at_beginning(&f->fol) : log_follow_start(&f->fol, n_lines, NULL);
    if (r < 0 && r != -ENOENT) {
        free_file(f);
        return r;
    }
    if (t->ifd >= 0)
        (void)inotify_add_watch(t->ifd, f->fol.dir, WATCH_MASK);
    t->files[t->n_files++] = f;
    return 0;
}

static int by_mtime(const void *a, const void *b)
{
    const struct log_tail_file *x = *(struct log_tail_file *const *)a;
    const struct log_tail_file *y = *(struct log_tail_file *const *)b;
    return (x->mtime_ns > y->mtime_ns) - (x->mtime_ns < y->mtime_ns);
}

/* Reads what each file got; a file with more than a pass's worth waiting
 * goes to its end, with a note. Returns 1 when lines were added. */
static int read_files(struct log_tail *t)
{
    uint64_t before = t->added;
    for (size_t i = 0; i < t->n_files; i++) {
        struct log_tail_file *f = t->files[i];
        if (log_follow_read(&f->fol, LOG_TAIL_PASS_BYTES, on_line, f) == 1) {
            (void)log_follow_start(&f->fol, 0, NULL);
            push(t, f->id, 1, skipped_note, sizeof(skipped_note) - 1);
        }
    }
    return t->added != before;
}

int log_tail_open(struct log_tail *t, const char *target, unsigned n_lines)
{
    forget_files(t);
    forget_lines(t);
    free(t->target);
    t->target = strdup(target);
    t->several = 0;
    if (!t->target)
        return -ENOMEM;
    struct log_sources srcs;
    int r = load_sources(t, &srcs);
    if (r < 0)
        return r;
    for (size_t i = 0; i < srcs.n && r >= 0; i++) {
        t->several |= srcs.items[i].id != srcs.items[0].id;
        r = track(t, &srcs.items[i], n_lines, 0);
    }
    log_sources_free(&srcs);
    /* the file written last gives the last lines */
    qsort(t->files, t->n_files, sizeof(*t->files), by_mtime);
    (void)read_files(t);
    return r;
}

int log_tail_fd(const struct log_tail *t)
{
    return t->ifd;
}

/* state.json changed: follow the files of instances that are new. */
static void follow_new_instances(struct log_tail *t)
{
    struct log_sources srcs;
    if (!t->target || load_sources(t, &srcs) < 0)
        return;
    for (size_t i = 0; i < srcs.n; i++) {
        t->several |= t->n_files > 0 && srcs.items[i].id != t->files[0]->id;
        if (!known(t, srcs.items[i].path))
            (void)track(t, &srcs.items[i], 0, 1);
    }
    log_sources_free(&srcs);
}

int log_tail_update(struct log_tail *t)
{
    char buf[16 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (t->ifd >= 0 && read(t->ifd, buf, sizeof(buf)) > 0)
        ; /* which file does not matter: each is read, most have nothing new */
    if (t->target && mtime_ns(t->state_path) != t->state_mtime_ns)
        follow_new_instances(t);
    return read_files(t);
}

const struct log_tail_line *log_tail_line(const struct log_tail *t, size_t i)
{
    return &t->ring[(t->head + i) % LOG_TAIL_LINES];
}

void log_tail_close(struct log_tail *t)
{
    forget_files(t);
    forget_lines(t);
    free(t->target);
    t->target = NULL;
    if (t->ifd >= 0)
        close(t->ifd);
    t->ifd = -1;
}
