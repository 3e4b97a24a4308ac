/* dashboard_logs.c - the last lines of an app's logs for the dashboard
 * (dashboard_parts.h), read as `drover logs --nostream` finds them
 * (log_reader.h), through safepath.h: a log path in an app's directory is
 * never followed to a file it does not name. Bounded: DASH_LOG_FILES files,
 * DASH_LOG_LINES lines and DASH_LOG_FILE_BYTES bytes of each. */
#include "base/macros.h"
#include "base/safepath.h"
#include "daemon/http/dashboard_parts.h"
#include "logs/log_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A JSON string of bytes that may not be UTF-8: bytes that do not make
 * UTF-8 become '?'. */
static json_t *text_string(const char *p, size_t n)
{
    json_t *s = json_stringn(p, n);
    if (s)
        return s;
    char *copy = malloc(n + 1);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < n; i++)
        copy[i] = (unsigned char)p[i] < 0x80 && p[i] ? p[i] : '?';
    s = json_stringn(copy, n);
    free(copy);
    return s;
}

/* Reads the last lines of path into lines. Returns 0 or a negative errno. */
static int tail_file(const char *path, json_t *lines)
{
    int dirfd, trusted;
    char *name;
    int r = safepath_open_parent(path, 0, &dirfd, &trusted, &name);
    if (r < 0)
        return r;
    int fd = safepath_openat(dirfd, trusted, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
    free(name);
    close(dirfd);
    if (fd < 0)
        return fd;
    struct stat st;
    uint64_t start = 0;
    unsigned found = 0;
    r = fstat(fd, &st) < 0 ? neg_errno() : 0;
    if (r == 0 && !S_ISREG(st.st_mode))
        r = -EINVAL;
    if (r == 0)
        r = log_reader_tail_start(fd, (uint64_t)st.st_size, DASH_LOG_LINES, &start, &found);
    uint64_t end = r == 0 ? (uint64_t)st.st_size : 0;
    int cut = 0;
    if (end - start > DASH_LOG_FILE_BYTES) {
        start = end - DASH_LOG_FILE_BYTES;
        cut = 1; /* the first line is a piece: dropped */
    }
    size_t len = (size_t)(end - start);
    char *buf = malloc(len + 1);
    if (r == 0 && !buf)
        r = -ENOMEM;
    ssize_t got = r == 0 ? pread(fd, buf, len, (off_t)start) : 0;
    if (got < 0)
        r = neg_errno();
    close(fd);
    for (size_t i = 0; r == 0 && i < (size_t)got;) {
        const char *nl = memchr(buf + i, '\n', (size_t)got - i);
        size_t n = nl ? (size_t)(nl - (buf + i)) : (size_t)got - i;
        if (!cut)
            json_array_append_new(lines, text_string(buf + i, n));
        cut = 0;
        i += n + 1;
    }
    free(buf);
    return r;
}

static int already(json_t *files, const char *path)
{
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
    {
        if (!strcmp(json_string_value(json_object_get(f, "path")) ?: "", path))
            return 1;
    }
    return 0;
}

static void add_file(json_t *files, const struct inst *in, const char *stream, const char *path)
{
    if (!path || json_array_size(files) >= DASH_LOG_FILES || already(files, path))
        return;
    json_t *lines = json_array();
    json_t *f = json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)in->id, "stream", stream,
                          "path", path, "lines", lines);
    if (!f)
        return;
    int r = tail_file(path, lines);
    if (r < 0 && r != -ENOENT)
        json_object_set_new(f, "error", json_string(strerror(-r)));
    json_array_append_new(files, f);
}

json_t *dash_log_tail(const struct daemon *d, const struct app *app)
{
    json_t *files = json_array();
    for (size_t i = 0; files && i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        if (in->app != app)
            continue;
        add_file(files, in, "out", in->log_out);
        add_file(files, in, "err", in->log_err);
        if (!in->log_out && !in->log_err)
            add_file(files, in, "combined", in->log_combined);
    }
    return files ? json_pack("{s:s, s:o}", "app", app->name, "files", files) : NULL;
}
