/* test_log_util.c - helpers shared by the logger tests (see the header). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fdutil.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "logs/log_name.h"
#include "logs/logger.h"
#include "loop/loop.h"
#include "spawn/spawn.h"
#include "test_log_util.h"

extern char **environ;

char log_test_dir[PATH_MAX];

/* --- helpers: temp dir, files --- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int log_test_setup_dir(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(log_test_dir, sizeof(log_test_dir), "%s/drover-logger-XXXXXX",
             base && *base ? base : "/tmp");
    return mkdtemp(log_test_dir) ? 0 : -1;
}

int log_test_teardown_dir(void **state)
{
    (void)state;
    if (!getenv("KEEP_TMP"))
        nftw(log_test_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* path of name inside a fresh per-test subdirectory */
const char *tpath(const char *test, const char *name)
{
    static char buf[4][PATH_MAX];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, PATH_MAX, "%s/%s/%s", log_test_dir, test, name);
    return p;
}

char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    assert_int_equal(read_file_at(AT_FDCWD, path, (size_t)1 << 31, &data, len), 0);
    return data;
}

uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

/* Appends the output of `gzip -dc path` to sb. */
void gunzip_into(const char *path, struct strbuf *sb)
{
    int p[2];
    assert_int_equal(pipe_cloexec(p, 0, 0), 0);
    char *argv[] = {"gzip", "-dc", (char *)path, NULL};
    struct spawn_fd fds[] = {{-1, 0}, {p[1], 1}, {2, 2}};
    struct spawn_opts o = {.file = "gzip", .argv = argv, .envp = environ, .fds = fds, .n_fds = 3};
    pid_t pid;
    assert_int_equal(spawn_process(&o, &pid, NULL), 0);
    close(p[1]);
    char buf[65536];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0)
        assert_int_equal(strbuf_append(sb, buf, (size_t)n), 0);
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int cmp_names(const void *a, const void *b)
{
    return log_name_compare(a, b);
}

char rotated_names[LOG_TEST_MAX_ROTATED][NAME_MAX + 1];

size_t list_rotated(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    const char *base = slash + 1;
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    static char *ptrs[LOG_TEST_MAX_ROTATED];
    while ((de = readdir(d))) {
        if (!log_name_is_rotated(base, de->d_name))
            continue;
        assert_true(n < LOG_TEST_MAX_ROTATED);
        ptrs[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(ptrs, n, sizeof(ptrs[0]), cmp_names);
    for (size_t i = 0; i < n; i++) {
        snprintf(rotated_names[i], NAME_MAX + 1, "%s", ptrs[i]);
        free(ptrs[i]);
    }
    return n;
}

char *collect_log(const char *path, size_t *len, size_t *n_rotated)
{
    struct strbuf sb = STRBUF_INIT;
    sb.limit = (size_t)1 << 31;
    size_t n = list_rotated(path);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    for (size_t i = 0; i < n; i++) {
        char full[PATH_MAX * 2];
        snprintf(full, sizeof(full), "%s/%s", dir, rotated_names[i]);
        size_t nl = strlen(full);
        if (nl > 3 && strcmp(full + nl - 3, ".gz") == 0) {
            gunzip_into(full, &sb);
        } else {
            size_t flen;
            char *data = slurp(full, &flen);
            assert_int_equal(strbuf_append(&sb, data, flen), 0);
            free(data);
        }
    }
    size_t flen;
    char *data = slurp(path, &flen);
    assert_int_equal(strbuf_append(&sb, data, flen), 0);
    free(data);
    if (n_rotated)
        *n_rotated = n;
    if (!sb.buf)
        return strdup("");
    return strbuf_detach(&sb, len);
}

/* Checks that the lines of data that start with prefix carry the numbers
 * first, first+1, ... first+count-1, each once, in order. */
void check_sequence(const char *data, size_t len, const char *prefix, size_t first, size_t count)
{
    size_t plen = strlen(prefix), expect = first;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        if ((size_t)(nl - p) > plen && memcmp(p, prefix, plen) == 0) {
            char num[16];
            size_t k = 0;
            for (const char *q = p + plen; q < nl && k < 15 && *q >= '0' && *q <= '9'; q++)
                num[k++] = *q;
            num[k] = '\0';
            if (strtoul(num, NULL, 10) != expect)
                fail_msg("%s: expected line %zu, got '%.*s'", prefix, expect, (int)MIN(nl - p, 60),
                         p);
            expect++;
        }
        p = nl + 1;
    }
    if (expect != first + count)
        fail_msg("%s: %zu lines, expected %zu", prefix, expect - first, count);
}

/* --- helpers: writers and the loop --- */

/* Forks a process writing lines "<prefix><7-digit number><pad>\n" for
 * numbers first..first+count-1 to wfd as fast as it can, then exiting. */
pid_t start_writer(int wfd, const char *prefix, size_t first, size_t count, size_t pad)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0)
        return pid;
    close_fds_from(3, &wfd, 1);
    char padding[256];
    memset(padding, '.', sizeof(padding));
    padding[MIN(pad, sizeof(padding) - 1)] = '\0';
    static char buf[256 * 1024];
    size_t len = 0;
    for (size_t i = first; i < first + count; i++) {
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%07zu%s\n", prefix, i, padding);
        if (len > sizeof(buf) - 512) {
            if (write_full(wfd, buf, len) < 0)
                _exit(1);
            len = 0;
        }
    }
    if (write_full(wfd, buf, len) < 0)
        _exit(1);
    _exit(0);
}

void wait_writer(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

uint64_t stat_lines(struct logger *lg)
{
    struct logger_stats st;
    logger_get_stats(lg, &st);
    return st.lines;
}

/* Runs the loop until the logger has written `lines` lines. */
void run_until_lines(struct ev_loop *loop, struct logger *lg, uint64_t lines)
{
    int64_t deadline = mono_ms() + 90000;
    while (stat_lines(lg) < lines) {
        assert_true(ev_loop_run_once(loop, 100) >= 0);
        if (mono_ms() > deadline)
            fail_msg("timeout: %" PRIu64 " of %" PRIu64 " lines", stat_lines(lg), lines);
    }
}

void run_for(struct ev_loop *loop, int ms)
{
    int64_t until = mono_ms() + ms;
    while (mono_ms() < until)
        ev_loop_run_once(loop, (int)(until - mono_ms()));
}

/* Pushes lines through a non-blocking pipe from this process, running the
 * loop whenever the pipe is full (used where a second process would get in
 * the way, and by the shared-file child). Closes the write end at the end. */
void self_feed(struct ev_loop *loop, int wfd, const char *prefix, size_t first, size_t count)
{
    char buf[8192];
    size_t len = 0, off = 0;
    size_t i = first;
    while (i < first + count || off < len) {
        if (off == len) {
            len = off = 0;
            while (i < first + count && len < sizeof(buf) - 64)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%07zu\n", prefix, i++);
        }
        ssize_t n = write(wfd, buf + off, len - off);
        if (n > 0)
            off += (size_t)n;
        else if (n < 0 && errno == EAGAIN)
            ev_loop_run_once(loop, 10);
        else if (n < 0 && errno != EINTR)
            fail_msg("write: %s", strerror(errno));
    }
}

struct log_config base_config(const char *out, const char *err)
{
    struct log_config c;
    memset(&c, 0, sizeof(c));
    c.app_name = "app";
    c.out_path = out;
    c.err_path = err;
    return c;
}

const char *gzip_helper(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("DROVER_GZIP");
    if (env && *env)
        return env;
    /* <build>/tests/unit/test_logger -> <build>/drover-gzip */
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    assert_true(n > 0);
    path[n] = '\0';
    for (int i = 0; i < 3; i++)
        *strrchr(path, '/') = '\0';
    strcat(path, "/drover-gzip");
    assert_int_equal(access(path, X_OK), 0);
    return path;
}
