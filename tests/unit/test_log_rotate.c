/* Rotation tests of the real logger on real files with the real loop:
 * writer processes push numbered lines through pipes and the files
 * (rotated ones in age order, then the current one) must hold every line
 * exactly once, in order. Covers rotation by size and by interval, two
 * processes sharing one rotating file, compression through the real
 * drover-gzip (and drover-gzip on its own), retention, and split lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
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

/* --- rotation: every line exactly once, in order --- */

static void test_rotation_exactly_once(void **state)
{
    (void)state;
    const size_t n_lines = 200000;
    const char *out = tpath("rot", "app-out.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    cfg.max_size = 64 * 1024;
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 0, 0), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);

    int64_t t0 = mono_ms();
    pid_t w = start_writer(p[1], "line ", 0, n_lines, 0);
    close(p[1]);
    run_until_lines(loop, lg, n_lines);
    int64_t elapsed = mono_ms() - t0;
    wait_writer(w);

    struct logger_stats st;
    logger_get_stats(lg, &st);
    logger_free(lg);
    ev_loop_free(loop);

    size_t len, n_rot;
    char *all = collect_log(out, &len, &n_rot);
    assert_int_equal(len, n_lines * 13);
    check_sequence(all, len, "line ", 0, n_lines);
    free(all);
    assert_int_equal(st.rotations, n_rot);
    assert_true(n_rot >= 35);
    assert_int_equal(st.bytes_written, n_lines * 13);
    assert_int_equal(st.bytes_dropped, 0);
    /* rotated at the first line boundary at or past max_size */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/rot", log_test_dir);
    for (size_t i = 0; i < n_rot; i++) {
        char full[PATH_MAX * 2];
        snprintf(full, sizeof(full), "%s/%s", dir, rotated_names[i]);
        uint64_t sz = file_size(full);
        assert_true(sz >= cfg.max_size && sz < cfg.max_size + 13);
        assert_int_equal(sz % 13, 0);
    }
    print_message("    200000 lines, %zu rotations: %" PRId64 " ms, %.0f lines/s, %.1f MB/s\n",
                  n_rot, elapsed, n_lines * 1000.0 / (double)MAX(elapsed, 1),
                  (double)(n_lines * 13) / 1e3 / (double)MAX(elapsed, 1));
}

/* Throughput with no rotation in the way, compared with writing the same
 * bytes straight to a file. */
/* Two processes, each with its own logger, append to one file with a
 * small max_size: no line lost or duplicated, and no file rotated twice
 * (every rotated file reached max_size). */
static void test_shared_file_two_processes(void **state)
{
    (void)state;
    /* two writers racing on deadlines: too slow under valgrind to mean
     * anything there (it runs plain and under ASan) */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        skip();
    const size_t n_lines = 60000;
    const char *out = tpath("shared", "app.log");
    struct log_config cfg = base_config(out, NULL);
    cfg.max_size = 32 * 1024;
    /* create the directory first so both start on the same file */
    struct ev_loop *loop = ev_loop_new();
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);

    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct ev_loop *cl = ev_loop_new();
        struct logger *clg = logger_new(cl, &cfg);
        int cp[2];
        if (!clg || pipe_cloexec(cp, 1, 1) < 0 || logger_watch(clg, cp[0], -1) < 0)
            _exit(2);
        self_feed(cl, cp[1], "B", 0, n_lines);
        close(cp[1]);
        int64_t deadline = mono_ms() + 60000;
        while (stat_lines(clg) < n_lines && mono_ms() < deadline)
            ev_loop_run_once(cl, 100);
        int ok = stat_lines(clg) == n_lines;
        logger_free(clg);
        _exit(ok ? 0 : 3);
    }
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    self_feed(loop, p[1], "A", 0, n_lines);
    close(p[1]);
    run_until_lines(loop, lg, n_lines);
    wait_writer(child);
    struct logger_stats st;
    logger_get_stats(lg, &st);
    logger_free(lg);
    ev_loop_free(loop);

    size_t len, n_rot;
    char *all = collect_log(out, &len, &n_rot);
    assert_int_equal(len, 2 * n_lines * 9);
    check_sequence(all, len, "A", 0, n_lines);
    check_sequence(all, len, "B", 0, n_lines);
    free(all);
    /* a shared file may pass max_size by what the other writer added since
     * our last write, but is never rotated twice (no small files) */
    assert_true(n_rot >= 10);
    assert_true(st.rotations <= n_rot);
    for (size_t i = 0; i < n_rot; i++) {
        char full[PATH_MAX * 2];
        snprintf(full, sizeof(full), "%s/shared/%s", log_test_dir, rotated_names[i]);
        assert_true(file_size(full) >= cfg.max_size);
    }
}

/* Waits until the wall clock is early in a second, so that a 1 s period
 * boundary is far enough away for what follows. */
static void wait_early_in_second(struct ev_loop *loop)
{
    while (wall_ms() % 1000 < 20 || wall_ms() % 1000 > 300)
        ev_loop_run_once(loop, 10);
}

static void test_interval_rotation(void **state)
{
    (void)state;
    const char *out = tpath("interval", "app.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    cfg.rotate_interval_ms = 1000;
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    wait_early_in_second(loop);
    self_feed(loop, p[1], "x", 0, 1000);
    run_until_lines(loop, lg, 1000);
    run_for(loop, 1100); /* a period boundary passes */
    struct logger_stats st;
    logger_get_stats(lg, &st);
    assert_int_equal(st.rotations, 1);
    run_for(loop, 1100); /* the new file is empty: no rotation */
    logger_get_stats(lg, &st);
    assert_int_equal(st.rotations, 1);
    self_feed(loop, p[1], "x", 1000, 1000);
    run_until_lines(loop, lg, 2000);
    close(p[1]);
    logger_free(lg);
    ev_loop_free(loop);
    size_t len, n_rot;
    char *all = collect_log(out, &len, &n_rot);
    assert_int_equal(n_rot, 1);
    check_sequence(all, len, "x", 0, 2000);
    free(all);
    assert_int_equal(file_size(out), 1000 * 9);
}

/* --- compression and retention --- */

static struct logger *sigchld_logger;
static int other_children;

static void on_sigchld(struct ev_loop *loop, int signo, void *data)
{
    (void)loop;
    (void)signo;
    (void)data;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        if (!logger_child_exited(sigchld_logger, pid, status))
            other_children++;
}

/* Counts rotated files not yet compressed, and helper temp files. */
static size_t uncompressed_left(const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (log_name_is_rotated(base, de->d_name) && strcmp(de->d_name + l - 3, ".gz") != 0)
            n++;
        if (strstr(de->d_name, ".gz."))
            n++;
    }
    closedir(d);
    return n;
}

static void run_compression(const char *test, unsigned retain, size_t n_lines, size_t *n_rot,
                            char **all, size_t *len)
{
    const char *out = tpath(test, "app-out.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    cfg.max_size = 32 * 1024;
    cfg.compress = 1;
    cfg.retain = retain;
    cfg.compress_helper = gzip_helper();
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    sigchld_logger = lg;
    other_children = 0;
    assert_int_equal(ev_signal_add(loop, SIGCHLD, on_sigchld, NULL), 0);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 0, 0), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    start_writer(p[1], "line ", 0, n_lines, 0);
    close(p[1]);
    run_until_lines(loop, lg, n_lines);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/%s", log_test_dir, test);
    int64_t deadline = mono_ms() + 60000;
    while (uncompressed_left(dir, "app-out.log") > 0 || other_children < 1 ||
           (retain > 0 && list_rotated(out) > retain)) {
        ev_loop_run_once(loop, 50);
        assert_true(mono_ms() < deadline);
    }
    logger_free(lg);
    ev_loop_free(loop);
    *all = collect_log(out, len, n_rot);
}

static void test_compression_exactly_once(void **state)
{
    (void)state;
    size_t n_rot, len;
    char *all;
    run_compression("gz", 0, 30000, &n_rot, &all, &len);
    assert_true(n_rot >= 10);
    for (size_t i = 0; i < n_rot; i++)
        assert_non_null(strstr(rotated_names[i], ".log.gz"));
    assert_int_equal(len, 30000 * 13);
    check_sequence(all, len, "line ", 0, 30000);
    free(all);
}

static void test_retain_with_compression(void **state)
{
    (void)state;
    size_t n_rot, len;
    char *all;
    run_compression("retain", 3, 30000, &n_rot, &all, &len);
    assert_int_equal(n_rot, 3);
    /* what is left is the newest lines, complete and in order */
    assert_int_equal(len % 13, 0);
    size_t kept = len / 13;
    assert_true(kept > 3 * 32 * 1024 / 13);
    check_sequence(all, len, "line ", 30000 - kept, kept);
    free(all);
}

static void test_retain_plain(void **state)
{
    (void)state;
    const char *out = tpath("keep", "app.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    cfg.max_size = 8 * 1024;
    cfg.retain = 2;
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    self_feed(loop, p[1], "k", 0, 10000);
    close(p[1]);
    run_until_lines(loop, lg, 10000);
    struct logger_stats st;
    logger_get_stats(lg, &st);
    logger_free(lg);
    ev_loop_free(loop);
    size_t len, n_rot;
    char *all = collect_log(out, &len, &n_rot);
    assert_int_equal(n_rot, 2);
    assert_true(st.rotations >= 9);
    check_sequence(all, len, "k", 10000 - len / 9, len / 9);
    free(all);
}

/* drover-gzip on its own: success, failures, never a partial .gz */
static int run_gzip(const char *arg)
{
    const char *helper = gzip_helper();
    char *argv[] = {(char *)helper, (char *)arg, NULL};
    struct spawn_fd fds[] = {{-1, 0}, {-1, 1}, {-1, 2}};
    struct spawn_opts o = {.file = helper, .argv = argv, .envp = environ, .fds = fds, .n_fds = 3};
    pid_t pid;
    assert_int_equal(spawn_process(&o, &pid, NULL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_gzip_helper(void **state)
{
    (void)state;
    const char *file = tpath("gzcli", "f.log");
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/gzcli", log_test_dir);
    assert_int_equal(mkdir_p(dir, 0700), 0);
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 50000; i++)
        strbuf_printf(&sb, "row %d \x01\xff\n", i);
    assert_int_equal(write_file_atomic(file, sb.buf, sb.len, 0640), 0);
    char gz[PATH_MAX * 2];
    snprintf(gz, sizeof(gz), "%s.gz", file);

    assert_int_equal(run_gzip(file), 0);
    assert_int_equal(access(file, F_OK), -1);
    struct stat st;
    assert_int_equal(stat(gz, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    struct strbuf back = STRBUF_INIT;
    gunzip_into(gz, &back);
    assert_int_equal(back.len, sb.len);
    assert_memory_equal(back.buf, sb.buf, sb.len);
    strbuf_free(&back);

    /* an existing .gz is never replaced; the original stays */
    assert_int_equal(write_file_atomic(file, "new\n", 4, 0640), 0);
    assert_int_equal(run_gzip(file), 1);
    assert_int_equal(access(file, F_OK), 0);
    assert_int_equal(stat(gz, &st), 0);
    /* failures leave nothing behind */
    assert_int_equal(run_gzip(tpath("gzcli", "missing.log")), 1);
    assert_int_equal(access(tpath("gzcli", "missing.log.gz"), F_OK), -1);
    assert_int_equal(run_gzip(dir), 1);
    assert_int_equal(run_gzip("-x"), 2);
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)))
        assert_null(strstr(de->d_name, ".gz.")); /* no temp file left */
    closedir(d);
    strbuf_free(&sb);
}

/* A line longer than LOGGER_MAX_LINE is written in marked pieces, and a
 * file at max_size rotates between them: a line that never ends cannot grow
 * one file without bound. Put back together, nothing is lost. */
static void test_split_line_rotated_between_pieces(void **state)
{
    (void)state;
    const char *out = tpath("splitrot", "out.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    cfg.max_size = 100;
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    size_t big = 2 * LOGGER_MAX_LINE + 1000, total = 6 + big + 1 + 5;
    char *data = malloc(total);
    assert_non_null(data);
    memcpy(data, "first\n", 6);
    memset(data + 6, 'z', big);
    memcpy(data + 6 + big, "\nlast\n", 6);
    for (size_t off = 0; off < total;) {
        ssize_t n = write(p[1], data + off, total - off);
        if (n > 0)
            off += (size_t)n;
        else
            ev_loop_run_once(loop, 10);
    }
    run_until_lines(loop, lg, 1 + 3 + 1);
    struct logger_stats st;
    logger_get_stats(lg, &st);
    /* before the second and third piece, and before "last" */
    assert_int_equal(st.rotations, 3);
    close(p[1]);
    logger_free(lg);
    ev_loop_free(loop);
    size_t n, n_rot;
    char *s = slurp(out, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(s, "last\n", 5);
    free(s);
    s = collect_log(out, &n, &n_rot);
    assert_int_equal(n_rot, 3);
    assert_int_equal(n, total + 2 * strlen(LOGGER_CONTINUATION_MARKER "\n"));
    /* no file holds more than max_size plus one piece */
    assert_true(n <= 3 * (LOGGER_MAX_LINE + 200) + 1000);
    free(s);
    free(data);
}

/* A helper that cannot run leaves the rotated files as they are. */
static void test_compress_helper_missing(void **state)
{
    (void)state;
    const char *out = tpath("nohelper", "out.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    cfg.max_size = 1000;
    cfg.compress = 1;
    cfg.compress_helper = "/nonexistent/drover-gzip";
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    self_feed(loop, p[1], "c", 0, 500);
    run_until_lines(loop, lg, 500);
    struct logger_stats st;
    logger_get_stats(lg, &st);
    assert_true(st.rotations >= 3);
    assert_int_equal(st.compress_failures, st.rotations);
    close(p[1]);
    logger_free(lg);
    ev_loop_free(loop);
    size_t n, n_rot;
    char *s = collect_log(out, &n, &n_rot);
    assert_int_equal(n_rot, st.rotations);
    check_sequence(s, n, "c", 0, 500);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotation_exactly_once),
        cmocka_unit_test(test_shared_file_two_processes),
        cmocka_unit_test(test_interval_rotation),
        cmocka_unit_test(test_compression_exactly_once),
        cmocka_unit_test(test_retain_with_compression),
        cmocka_unit_test(test_retain_plain),
        cmocka_unit_test(test_gzip_helper),
        cmocka_unit_test(test_split_line_rotated_between_pieces),
        cmocka_unit_test(test_compress_helper_missing),
    };
    return cmocka_run_group_tests(tests, log_test_setup_dir, log_test_teardown_dir);
}
