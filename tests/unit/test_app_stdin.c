/* Unit tests for sup/app_stdin.c: writes go to the pipe, what it cannot
 * take waits in the bounded queue and is written as the reader drains it,
 * a write that does not fit is refused whole, and the run gets a blocking
 * read end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop/loop.h"
#include "sup/app_stdin.h"

/* Reads whatever the pipe holds (the read end made non-blocking for the
 * test). Returns the byte count. */
static size_t drain_pipe(int fd, char *seen, size_t cap)
{
    size_t total = 0;
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            return total;
        if (seen && total + (size_t)n <= cap)
            memcpy(seen + total, buf, (size_t)n);
        total += (size_t)n;
    }
}

static void test_line_reaches_the_pipe(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    struct app_stdin in;
    assert_int_equal(app_stdin_open(&in, loop), 0);
    assert_int_equal(app_stdin_write(&in, "hello\n", 6), 0);
    assert_int_equal(app_stdin_queued(&in), 0);
    char buf[16];
    assert_int_equal(read(in.read_fd, buf, sizeof(buf)), 6);
    assert_memory_equal(buf, "hello\n", 6);
    assert_int_equal(app_stdin_write(&in, NULL, APP_STDIN_QUEUE_MAX + 1), -EMSGSIZE);
    app_stdin_close(&in);
    assert_int_equal(app_stdin_write(&in, "x", 1), -EBADF);
    ev_loop_free(loop);
}

static void test_queue_is_bounded_and_drains(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    struct app_stdin in;
    assert_int_equal(app_stdin_open(&in, loop), 0);
    int pipe_size = fcntl(in.write_fd, F_GETPIPE_SZ);
    assert_true(pipe_size > 0);
    char *chunk = malloc(APP_STDIN_QUEUE_MAX);
    memset(chunk, 'a', APP_STDIN_QUEUE_MAX);
    /* fill the pipe, then the queue */
    assert_int_equal(app_stdin_write(&in, chunk, (size_t)pipe_size), 0);
    assert_int_equal(app_stdin_queued(&in), 0);
    assert_int_equal(app_stdin_write(&in, chunk, 1000), 0);
    assert_int_equal(app_stdin_queued(&in), 1000);
    assert_int_equal(app_stdin_write(&in, chunk, APP_STDIN_QUEUE_MAX - 1000), 0);
    assert_int_equal(app_stdin_queued(&in), APP_STDIN_QUEUE_MAX);
    /* full: refused whole, nothing half-written */
    assert_int_equal(app_stdin_write(&in, "b\n", 2), -ENOBUFS);
    assert_int_equal(app_stdin_queued(&in), APP_STDIN_QUEUE_MAX);

    /* the app reads: the loop writes the queue out */
    assert_int_equal(fcntl(in.read_fd, F_SETFL, O_NONBLOCK), 0);
    size_t got = drain_pipe(in.read_fd, NULL, 0);
    for (int i = 0; i < 50 && app_stdin_queued(&in) > 0; i++) {
        ev_loop_run_once(loop, 100);
        got += drain_pipe(in.read_fd, NULL, 0);
    }
    assert_int_equal(app_stdin_queued(&in), 0);
    got += drain_pipe(in.read_fd, NULL, 0);
    assert_int_equal(got, (size_t)pipe_size + APP_STDIN_QUEUE_MAX);

    /* empty again: a line goes straight through, in order */
    assert_int_equal(app_stdin_write(&in, "c\n", 2), 0);
    char buf[4];
    assert_int_equal(drain_pipe(in.read_fd, buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "c\n", 2);

    /* the next run gets a blocking read end, whatever the last one did */
    int fd = app_stdin_fd_for_run(&in);
    assert_int_equal(fd, in.read_fd);
    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    free(chunk);
    app_stdin_close(&in);
    ev_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_reaches_the_pipe),
        cmocka_unit_test(test_queue_is_bounded_and_drains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
