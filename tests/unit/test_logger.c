/* Capture tests of the real logger on real files with the real loop:
 * throughput (printed), timestamps, JSON, the combined file, drain of a
 * partial line, long lines and binary bytes, reopen, truncate, notes,
 * config errors, write failures (/dev/full and RLIMIT_FSIZE) with
 * recovery, and idle memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fdutil.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "logs/logger.h"
#include "loop/loop.h"
#include "test_log_util.h"

static void test_throughput(void **state)
{
    (void)state;
    const size_t n_lines = 1000000, pad = 89; /* 100-byte lines: 100 MB */
    const size_t line_len = 5 + 7 + pad + 1;
    const char *out = tpath("speed", "app-out.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    cfg.max_size = 1024 * 1024 * 1024;
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 0, 0), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    int64_t t0 = mono_ms();
    pid_t w = start_writer(p[1], "line ", 0, n_lines, pad);
    close(p[1]);
    run_until_lines(loop, lg, n_lines);
    int64_t elapsed = MAX(mono_ms() - t0, 1);
    wait_writer(w);
    logger_free(lg);
    ev_loop_free(loop);
    assert_int_equal(file_size(out), n_lines * line_len);

    /* baseline: the same bytes written directly, 128 KiB per write */
    char *block = malloc(128 * 1024);
    assert_non_null(block);
    memset(block, 'x', 128 * 1024);
    const char *direct = tpath("speed", "direct.log");
    int fd = open(direct, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    assert_true(fd >= 0);
    int64_t t1 = mono_ms();
    for (size_t done = 0; done < n_lines * line_len; done += 128 * 1024)
        assert_int_equal(write_full(fd, block, MIN(128 * 1024, n_lines * line_len - done)), 0);
    int64_t direct_ms = MAX(mono_ms() - t1, 1);
    close(fd);
    free(block);
    unlink(direct);
    unlink(out);

    double mb = (double)(n_lines * line_len) / 1e6;
    print_message("    logger: %zu lines of %zu bytes in %" PRId64 " ms: %.0f lines/s, %.0f MB/s\n",
                  n_lines, line_len, elapsed, n_lines * 1000.0 / (double)elapsed,
                  mb * 1000.0 / (double)elapsed);
    print_message("    direct write of the same bytes: %" PRId64 " ms, %.0f MB/s\n", direct_ms,
                  mb * 1000.0 / (double)direct_ms);
}

/* --- formats, streams, files --- */

static void test_timestamps_and_combined(void **state)
{
    (void)state;
    const char *out = tpath("ts", "out.log"), *err = tpath("ts", "err.log");
    const char *all = tpath("ts", "all.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, err);
    cfg.combined_path = all;
    cfg.timestamps = 1;
    cfg.date_format = "[%L]";
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int po[2], pe[2];
    assert_int_equal(pipe_cloexec(po, 1, 1), 0);
    assert_int_equal(pipe_cloexec(pe, 1, 1), 0);
    assert_int_equal(logger_watch(lg, po[0], pe[0]), 0);
    /* one chunk, three lines, the last one unfinished */
    assert_int_equal(write(po[1], "one\ntwo\nthr", 11), 11);
    run_until_lines(loop, lg, 2);
    assert_int_equal(write(pe[1], "oops\n", 5), 5);
    run_until_lines(loop, lg, 3);
    assert_int_equal(write(po[1], "ee\n", 3), 3);
    run_until_lines(loop, lg, 4);
    close(po[1]);
    close(pe[1]);
    logger_free(lg);
    ev_loop_free(loop);

    size_t n;
    char *s = slurp(out, &n);
    /* "[123]: one\n" x 3: a prefix on every line */
    assert_int_equal(n, 11 + 11 + 13);
    assert_true(s[0] == '[' && s[4] == ']' && memcmp(s + 5, ": one\n", 6) == 0);
    assert_true(s[11] == '[' && memcmp(s + 16, ": two\n", 6) == 0);
    assert_true(s[22] == '[' && memcmp(s + 27, ": three\n", 8) == 0);
    free(s);
    s = slurp(err, &n);
    assert_int_equal(n, 12);
    assert_memory_equal(s + 5, ": oops\n", 7);
    free(s);
    s = slurp(all, &n);
    assert_int_equal(n, 11 + 11 + 12 + 13);
    assert_memory_equal(s + 5, ": one\n", 6);
    assert_memory_equal(s + 16, ": two\n", 6);
    assert_memory_equal(s + 27, ": oops\n", 7);
    assert_memory_equal(s + 39, ": three\n", 8);
    free(s);
}

static void test_json_files(void **state)
{
    (void)state;
    const char *out = tpath("json", "out.log"), *err = tpath("json", "err.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, err);
    cfg.format = LOG_FORMAT_JSON;
    cfg.instance_id = 7;
    cfg.app_name = "web";
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int po[2], pe[2];
    assert_int_equal(pipe_cloexec(po, 1, 1), 0);
    assert_int_equal(pipe_cloexec(pe, 1, 1), 0);
    assert_int_equal(logger_watch(lg, po[0], pe[0]), 0);
    static const char junk[] = "bin\0\x01\x1b[31m\xff\xc0\xaf\xed\xa0\x80 \"q\" \\ end\n";
    assert_int_equal(write(po[1], "hello\n", 6), 6);
    assert_int_equal(write(pe[1], junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
    assert_int_equal(write(po[1], "no newline", 10), 10);
    run_until_lines(loop, lg, 2);
    logger_drain(lg);
    assert_int_equal(stat_lines(lg), 3);
    logger_note(lg, LOG_STREAM_ERR, "exec failed: No such file");
    close(po[1]);
    close(pe[1]);
    logger_free(lg);
    ev_loop_free(loop);

    const char *paths[] = {out, err};
    const char *expect[2][2] = {{"hello", "no newline"}, {NULL, "exec failed: No such file"}};
    for (int f = 0; f < 2; f++) {
        size_t n;
        char *s = slurp(paths[f], &n);
        char *line = s;
        for (int i = 0; i < 2; i++) {
            char *nl = strchr(line, '\n');
            assert_non_null(nl);
            json_error_t e;
            json_t *o = json_loadb(line, (size_t)(nl - line), JSON_ALLOW_NUL, &e);
            assert_non_null(o);
            const char *msg = json_string_value(json_object_get(o, "message"));
            if (expect[f][i])
                assert_string_equal(msg, expect[f][i]);
            else
                assert_int_equal(json_string_length(json_object_get(o, "message")),
                                 sizeof(junk) - 2 + 6 * 2);
            assert_string_equal(json_string_value(json_object_get(o, "type")), f ? "err" : "out");
            assert_int_equal(json_integer_value(json_object_get(o, "process_id")), 7);
            assert_string_equal(json_string_value(json_object_get(o, "app_name")), "web");
            json_decref(o);
            line = nl + 1;
        }
        assert_int_equal(line - s, (ptrdiff_t)n);
        free(s);
    }
}

static void test_drain_partial_line(void **state)
{
    (void)state;
    const char *out = tpath("drain", "out.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, "");
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2], pe[2];
    assert_int_equal(pipe_cloexec(p, 0, 0), 0);
    assert_int_equal(pipe_cloexec(pe, 0, 0), 0);
    assert_int_equal(logger_watch(lg, p[0], pe[0]), 0);
    /* the app's last words, never seen by the loop before the drain */
    assert_int_equal(write(p[1], "abc\ndef", 7), 7);
    assert_int_equal(write(pe[1], "discarded\n", 10), 10);
    logger_drain(lg);
    size_t n;
    char *s = slurp(out, &n);
    assert_int_equal(n, 8);
    assert_memory_equal(s, "abc\ndef\n", 8);
    free(s);
    /* the pipe is still watched for the next incarnation */
    assert_int_equal(write(p[1], "ghi\n", 4), 4);
    run_until_lines(loop, lg, 3);
    close(p[1]);
    close(pe[1]);
    logger_free(lg);
    ev_loop_free(loop);
    s = slurp(out, &n);
    assert_int_equal(n, 12);
    assert_memory_equal(s, "abc\ndef\nghi\n", 12);
    free(s);
}

/* Runs the loop until path holds exactly want (5 s limit). */
static void run_until_content(struct ev_loop *loop, const char *path, const char *want)
{
    size_t n = 0;
    char *s = NULL;
    for (int i = 0; i < 250; i++) {
        run_for(loop, 20);
        free(s);
        s = slurp(path, &n);
        if (n == strlen(want) && memcmp(s, want, n) == 0)
            break;
    }
    assert_int_equal(n, strlen(want));
    assert_memory_equal(s, want, n);
    free(s);
}

static void test_partial_line_after_idle(void **state)
{
    (void)state;
    const char *out = tpath("partial", "out.log"), *js = tpath("partial", "json.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, "");
    struct logger *lg = logger_new(loop, &cfg);
    struct log_config jcfg = base_config(js, "");
    jcfg.format = LOG_FORMAT_JSON;
    struct logger *jl = logger_new(loop, &jcfg);
    assert_non_null(lg);
    assert_non_null(jl);
    int p[2], jp[2];
    assert_int_equal(pipe_cloexec(p, 0, 0), 0);
    assert_int_equal(pipe_cloexec(jp, 0, 0), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    assert_int_equal(logger_watch(jl, jp[0], -1), 0);
    /* written before the loop looks: one line, never split */
    assert_int_equal(write(p[1], "ab", 2), 2);
    assert_int_equal(write(p[1], "c\n", 2), 2);
    run_until_content(loop, out, "abc\n");
    /* a prompt: written after the idle time, marked as continued */
    assert_int_equal(write(p[1], "name? ", 6), 6);
    run_until_content(loop, out, "abc\nname? " LOGGER_CONTINUATION_MARKER "\n");
    /* what follows on that line is its next piece; the next unfinished tail
     * again waits, a UTF-8 sequence cut at its end stays back */
    assert_int_equal(write(p[1], "bob\nx\xc3", 6), 6);
    run_until_content(loop, out,
                      "abc\nname? " LOGGER_CONTINUATION_MARKER "\nbob\nx" LOGGER_CONTINUATION_MARKER
                      "\n");
    assert_int_equal(write(p[1], "\xa9\n", 2), 2);
    run_until_content(loop, out,
                      "abc\nname? " LOGGER_CONTINUATION_MARKER "\nbob\nx" LOGGER_CONTINUATION_MARKER
                      "\n\xc3\xa9\n");
    /* JSON: the piece carries "partial":true */
    assert_int_equal(write(jp[1], "50%", 3), 3);
    size_t n = 0;
    char *s = NULL;
    for (int i = 0; i < 250 && n == 0; i++) {
        run_for(loop, 20);
        free(s);
        s = slurp(js, &n);
    }
    assert_non_null(strstr(s, "{\"message\":\"50%\",\"timestamp\":\""));
    assert_non_null(strstr(s, "\"partial\":true}\n"));
    assert_int_equal(s[n - 1], '\n');
    assert_null(memchr(s, '\n', n - 1));
    free(s);
    close(p[1]);
    close(jp[1]);
    logger_free(lg);
    logger_free(jl);
    ev_loop_free(loop);
}

static void test_long_lines_and_binary(void **state)
{
    (void)state;
    const char *out = tpath("long", "out.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);

    size_t mib = LOGGER_MAX_LINE, big = 2 * mib + mib / 2;
    size_t total = mib + 1 + big + 1 + 6;
    char *data = malloc(total);
    assert_non_null(data);
    for (size_t i = 0; i < mib; i++)
        data[i] = (char)('a' + i % 26);
    data[mib] = '\n';
    for (size_t i = 0; i < big; i++)
        data[mib + 1 + i] = (char)('A' + i % 26);
    data[mib + 1 + big] = '\n';
    memcpy(data + mib + 2 + big, "\0\x01\xff\r\xfe\n", 6);
    for (size_t off = 0; off < total;) {
        ssize_t n = write(p[1], data + off, total - off);
        if (n > 0)
            off += (size_t)n;
        else
            ev_loop_run_once(loop, 10);
    }
    run_until_lines(loop, lg, 1 + 3 + 1);
    close(p[1]);
    logger_free(lg);
    ev_loop_free(loop);

    size_t n;
    char *s = slurp(out, &n);
    static const char marker[] = LOGGER_CONTINUATION_MARKER "\n";
    size_t m = sizeof(marker) - 1;
    assert_int_equal(n, total + 2 * m);
    /* the 1 MiB line, whole */
    assert_memory_equal(s, data, mib + 1);
    /* 2.5 MiB: 1 MiB + marker, 1 MiB + marker, 0.5 MiB */
    const char *q = s + mib + 1;
    assert_memory_equal(q, data + mib + 1, mib);
    assert_memory_equal(q + mib, marker, m);
    assert_memory_equal(q + mib + m, data + 2 * mib + 1, mib);
    assert_memory_equal(q + 2 * mib + m, marker, m);
    assert_memory_equal(q + 2 * mib + 2 * m, data + 3 * mib + 1, mib / 2 + 1);
    /* binary bytes pass through */
    assert_memory_equal(s + n - 6, "\0\x01\xff\r\xfe\n", 6);
    free(s);
    free(data);
}

static void test_reopen_and_foreign_rotation(void **state)
{
    (void)state;
    const char *out = tpath("reopen", "out.log"), *moved = tpath("reopen", "moved.log");
    const char *moved2 = tpath("reopen", "moved2.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    self_feed(loop, p[1], "r", 0, 100);
    run_until_lines(loop, lg, 100);
    /* logrotate-style: move, then SIGUSR1 -> logger_reopen */
    assert_int_equal(rename(out, moved), 0);
    assert_int_equal(logger_reopen(lg), 0);
    self_feed(loop, p[1], "r", 100, 100);
    run_until_lines(loop, lg, 200);
    /* moved away without telling us: followed before the next write */
    assert_int_equal(rename(out, moved2), 0);
    self_feed(loop, p[1], "r", 200, 100);
    run_until_lines(loop, lg, 300);
    close(p[1]);
    logger_free(lg);
    ev_loop_free(loop);
    const char *files[] = {moved, moved2, out};
    for (int i = 0; i < 3; i++) {
        size_t n;
        char *s = slurp(files[i], &n);
        check_sequence(s, n, "r", (size_t)i * 100, 100);
        free(s);
    }
}

static void test_truncate(void **state)
{
    (void)state;
    const char *out = tpath("trunc", "out.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    self_feed(loop, p[1], "t", 0, 500);
    run_until_lines(loop, lg, 500);
    assert_int_equal(logger_truncate(lg), 0);
    assert_int_equal(file_size(out), 0);
    self_feed(loop, p[1], "t", 500, 10);
    run_until_lines(loop, lg, 510);
    close(p[1]);
    logger_free(lg);
    ev_loop_free(loop);
    size_t n;
    char *s = slurp(out, &n);
    check_sequence(s, n, "t", 500, 10);
    assert_int_equal(n, 10 * 9);
    free(s);
}

static void test_same_path_twice_and_notes(void **state)
{
    (void)state;
    const char *all = tpath("dedup", "all.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(all, all);
    cfg.combined_path = all;
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    logger_note(lg, LOG_STREAM_ERR, "first\nsecond");
    logger_note(lg, LOG_STREAM_OUT, "third");
    struct logger_stats st;
    logger_get_stats(lg, &st);
    assert_int_equal(st.lines, 3);
    logger_free(lg);
    ev_loop_free(loop);
    size_t n;
    char *s = slurp(all, &n);
    assert_int_equal(n, 19);
    assert_memory_equal(s, "first\nsecond\nthird\n", 19);
    free(s);
}

static void test_config_errors(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(tpath("cfg", "out.log"), NULL);
    cfg.compress = 1;
    errno = 0;
    assert_null(logger_new(loop, &cfg));
    assert_int_equal(errno, EINVAL);
    /* a file that cannot be opened does not stop the logger: its lines are
     * dropped and counted, and it is tried again later */
    cfg = base_config("/proc/self/nope/out.log", NULL);
    struct logger *broken = logger_new(loop, &cfg);
    assert_non_null(broken);
    int bp[2];
    assert_int_equal(pipe_cloexec(bp, 1, 1), 0);
    assert_int_equal(logger_watch(broken, bp[0], -1), 0);
    assert_int_equal(write(bp[1], "lost\n", 5), 5);
    ev_loop_run_once(loop, 100);
    struct logger_stats bst;
    logger_get_stats(broken, &bst);
    assert_true(bst.bytes_dropped >= 5);
    close(bp[1]);
    logger_free(broken);
    /* everything discarded is fine: the pipes are still read */
    cfg = base_config("/dev/null", "");
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    assert_int_equal(write(p[1], "x\n", 2), 2);
    ev_loop_run_once(loop, 100);
    char c;
    assert_int_equal(read(p[0], &c, 1), -1); /* drained */
    assert_int_equal(logger_child_exited(lg, 12345, 0), 0);
    close(p[1]);
    logger_free(lg);
    ev_loop_free(loop);
}

/* --- failing disks --- */

static void test_dev_full_never_blocks(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config("/dev/full", NULL);
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 0, 0), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    /* a blocking writer: it only finishes if the logger keeps reading */
    pid_t w = start_writer(p[1], "line ", 0, 100000, 0);
    close(p[1]);
    run_until_lines(loop, lg, 100000);
    wait_writer(w);
    struct logger_stats st;
    logger_get_stats(lg, &st);
    assert_int_equal(st.bytes_written, 0);
    assert_int_equal(st.bytes_dropped, 100000 * 13);
    logger_free(lg);
    ev_loop_free(loop);
}

/* The file size limit makes write() fail with EFBIG (and cut the write
 * short) exactly like a full disk; lifting it is the disk getting room. */
static void test_write_failure_recovers(void **state)
{
    (void)state;
    const char *out = tpath("efbig", "out.log");
    struct ev_loop *loop = ev_loop_new();
    struct log_config cfg = base_config(out, NULL);
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    self_feed(loop, p[1], "l", 0, 1000); /* 9-byte lines */
    run_until_lines(loop, lg, 1000);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 16384;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    self_feed(loop, p[1], "l", 1000, 3000);
    run_until_lines(loop, lg, 4000);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);

    struct logger_stats st;
    logger_get_stats(lg, &st);
    assert_int_equal(st.bytes_written, 16384);
    assert_int_equal(st.bytes_dropped, 4000 * 9 - 16384);

    /* once the retry time has passed, writing resumes with a note */
    usleep(1100 * 1000);
    self_feed(loop, p[1], "l", 4000, 100);
    run_until_lines(loop, lg, 4100);
    close(p[1]);
    logger_free(lg);
    ev_loop_free(loop);

    size_t n;
    char *s = slurp(out, &n);
    /* 1820 whole lines, then 4 bytes of the cut line, terminated */
    size_t whole = 16384 / 9;
    check_sequence(s, whole * 9, "l", 0, whole);
    assert_memory_equal(s + whole * 9, "l000\n", 5);
    char note[128];
    int nl = snprintf(note, sizeof(note), "drover: %d bytes of output were lost (%s)\n",
                      4000 * 9 - 16384, strerror(EFBIG));
    assert_memory_equal(s + whole * 9 + 5, note, (size_t)nl);
    const char *rest = s + whole * 9 + 5 + nl;
    check_sequence(rest, n - (size_t)(rest - s), "l", 4000, 100);
    free(s);
}

/* --- memory --- */

static void test_idle_memory(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#else
    const char *out = tpath("mem", "out.log");
    struct ev_loop *loop = ev_loop_new();
    int p[2];
    assert_int_equal(pipe_cloexec(p, 1, 1), 0);
    ev_io_add(loop, p[0], EV_READ, NULL, NULL); /* grow the loop's table now */
    ev_io_del(loop, p[0]);
    size_t before = mallinfo2().uordblks;
    struct log_config cfg = base_config(out, NULL);
    cfg.timestamps = 1;
    struct logger *lg = logger_new(loop, &cfg);
    assert_non_null(lg);
    assert_int_equal(logger_watch(lg, p[0], -1), 0);
    self_feed(loop, p[1], "m", 0, 20000);
    run_until_lines(loop, lg, 20000);
    size_t busy = mallinfo2().uordblks - before;
    if (busy == 0) {
        /* another allocator (valgrind) keeps no statistics */
        close(p[1]);
        logger_free(lg);
        ev_loop_free(loop);
        skip();
    }
    run_for(loop, 3300);
    size_t idle = mallinfo2().uordblks - before;
    print_message("    logger memory: %zu bytes busy, %zu bytes idle\n", busy, idle);
    assert_true(busy > 64 * 1024);
    assert_true(idle < 8 * 1024);
    close(p[1]);
    logger_free(lg);
    ev_loop_free(loop);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throughput),
        cmocka_unit_test(test_timestamps_and_combined),
        cmocka_unit_test(test_json_files),
        cmocka_unit_test(test_drain_partial_line),
        cmocka_unit_test(test_partial_line_after_idle),
        cmocka_unit_test(test_long_lines_and_binary),
        cmocka_unit_test(test_reopen_and_foreign_rotation),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_same_path_twice_and_notes),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_dev_full_never_blocks),
        cmocka_unit_test(test_write_failure_recovers),
        cmocka_unit_test(test_idle_memory),
    };
    return cmocka_run_group_tests(tests, log_test_setup_dir, log_test_teardown_dir);
}
