/* Unit tests for loop/loop.c and proto/conn.c: timers, fd watchers,
 * removal during dispatch, signals, framed connections with bad peers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/timeutil.h"
#include "loop/loop.h"
#include "proto/conn.h"
#include "proto/frame.h"

static int order[8];
static int n_order;

static void record_timer(struct ev_loop *loop, void *data)
{
    (void)loop;
    order[n_order++] = (int)(intptr_t)data;
}

static void stop_timer(struct ev_loop *loop, void *data)
{
    (void)data;
    ev_loop_stop(loop);
}

static void test_timers_order_and_cancel(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    n_order = 0;
    int64_t start = mono_ms();
    ev_timer_add(loop, 30, record_timer, (void *)3);
    ev_timer_add(loop, 10, record_timer, (void *)1);
    int64_t id = ev_timer_add(loop, 20, record_timer, (void *)2);
    ev_timer_add(loop, 20, record_timer, (void *)22);
    ev_timer_cancel(loop, id);
    ev_timer_cancel(loop, 12345); /* unknown ids are ignored */
    ev_timer_add(loop, 40, stop_timer, NULL);
    assert_int_equal(ev_loop_run(loop), 0);
    assert_true(mono_ms() - start >= 40);
    assert_int_equal(n_order, 3);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 22);
    assert_int_equal(order[2], 3);
    ev_loop_free(loop);
}

struct pair_ctx {
    int fds[2];
    int calls_a, calls_b;
    struct ev_loop *loop;
};

static void read_b(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct pair_ctx *c = data;
    (void)loop;
    (void)fd;
    (void)events;
    c->calls_b++;
}

/* removes the other watcher: it must not be called in this batch */
static void read_a(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct pair_ctx *c = data;
    (void)events;
    c->calls_a++;
    char buf[16];
    (void)!read(fd, buf, sizeof(buf));
    ev_io_del(loop, c->fds[1]);
    ev_loop_stop(loop);
}

static void test_io_removal_in_batch(void **state)
{
    (void)state;
    struct pair_ctx c = {0};
    int p1[2], p2[2];
    assert_int_equal(pipe(p1), 0);
    assert_int_equal(pipe(p2), 0);
    c.loop = ev_loop_new();
    c.fds[0] = p1[0];
    c.fds[1] = p2[0];
    assert_int_equal(write(p1[1], "a", 1), 1);
    assert_int_equal(write(p2[1], "b", 1), 1);
    /* whichever fires first removes p2's watcher; b may fire before a */
    assert_int_equal(ev_io_add(c.loop, p1[0], EV_READ, read_a, &c), 0);
    assert_int_equal(ev_io_add(c.loop, p2[0], EV_READ, read_b, &c), 0);
    assert_int_equal(ev_io_add(c.loop, p2[0], EV_READ, read_b, &c), -EEXIST);
    assert_int_equal(ev_loop_run(c.loop), 0);
    assert_int_equal(c.calls_a, 1);
    int before = c.calls_b;
    /* p2 is still readable but no longer watched */
    ev_timer_add(c.loop, 20, stop_timer, NULL);
    assert_int_equal(ev_loop_run(c.loop), 0);
    assert_int_equal(c.calls_b, before);
    ev_loop_free(c.loop);
    close(p1[0]);
    close(p1[1]);
    close(p2[0]);
    close(p2[1]);
}

static int got_signal;

static void on_usr1(struct ev_loop *loop, int signo, void *data)
{
    (void)data;
    got_signal = signo;
    ev_loop_stop(loop);
}

static void test_signal(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    assert_int_equal(ev_signal_add(loop, SIGUSR1, on_usr1, NULL), 0);
    kill(getpid(), SIGUSR1);
    assert_int_equal(ev_loop_run(loop), 0);
    assert_int_equal(got_signal, SIGUSR1);
    ev_loop_free(loop);
}

struct conn_ctx {
    int frames;
    int closed;
    int close_err;
    char last[64];
};

static void on_frame(struct conn *c, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data)
{
    struct conn_ctx *x = data;
    (void)c;
    for (unsigned i = 0; i < n_fds; i++)
        close(fds[i]);
    x->frames++;
    snprintf(x->last, sizeof(x->last), "%.*s", (int)len, payload);
    if (strcmp(x->last, "echo") == 0)
        conn_send(c, "pong", 4, NULL, 0);
}

static void on_close(struct conn *c, int err, void *data)
{
    struct conn_ctx *x = data;
    (void)c;
    x->closed++;
    x->close_err = err;
}

static const struct conn_handlers handlers = {.on_frame = on_frame, .on_close = on_close};

static void run_for(struct ev_loop *loop, int ms)
{
    int64_t end = mono_ms() + ms;
    while (mono_ms() < end)
        ev_loop_run_once(loop, 10);
}

static void test_conn_frames_and_bad_peers(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct conn_ctx x = {0};
    struct conn *c = conn_new(loop, sv[0], 1024, &handlers, &x);
    assert_non_null(c);
    assert_int_equal(frame_send(sv[1], "echo", 4, NULL, 0), 0);
    run_for(loop, 50);
    assert_int_equal(x.frames, 1);
    char *reply;
    size_t len;
    assert_int_equal(frame_recv(sv[1], 1024, 1000, &reply, &len, NULL, NULL), 0);
    assert_string_equal(reply, "pong");
    free(reply);

    /* an oversized frame closes this connection with -EMSGSIZE */
    char big[2048];
    memset(big, 'x', sizeof(big));
    assert_int_equal(frame_send(sv[1], big, sizeof(big), NULL, 0), 0);
    run_for(loop, 50);
    assert_int_equal(x.closed, 1);
    assert_int_equal(x.close_err, -EMSGSIZE);
    close(sv[1]);

    /* garbage closes with -EPROTO; a good peer on another conn is unaffected */
    int sv2[2], sv3[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv2), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv3), 0);
    struct conn_ctx bad = {0}, good = {0};
    assert_non_null(conn_new(loop, sv2[0], 1024, &handlers, &bad));
    assert_non_null(conn_new(loop, sv3[0], 1024, &handlers, &good));
    assert_int_equal(write(sv2[1], "GET / HTTP/1.0\r\n\r\n", 18), 18);
    assert_int_equal(frame_send(sv3[1], "hello", 5, NULL, 0), 0);
    run_for(loop, 50);
    assert_int_equal(bad.closed, 1);
    assert_int_equal(bad.close_err, -EPROTO);
    assert_int_equal(good.frames, 1);
    assert_string_equal(good.last, "hello");
    assert_int_equal(good.closed, 0);
    /* peer hang-up is err 0 */
    close(sv3[1]);
    run_for(loop, 50);
    assert_int_equal(good.closed, 1);
    assert_int_equal(good.close_err, 0);
    close(sv2[1]);
    ev_loop_free(loop);
}

/* A conn whose queue overflows inside conn_send fails, but on_close runs
 * later from the loop: the caller may still touch its own state (the
 * daemon's use-after-free on replies over the cap). */
static void test_conn_close_is_deferred(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct conn_ctx x = {0};
    struct conn *c = conn_new(loop, sv[0], 1024, &handlers, &x);
    assert_non_null(c);
    /* one frame larger than max_send: refused, the conn goes on */
    conn_set_max_send(c, 100);
    char big[200] = {0};
    assert_int_equal(conn_send(c, big, sizeof(big), NULL, 0), -EMSGSIZE);
    assert_int_equal(conn_send(c, "ok", 2, NULL, 0), 0);
    run_for(loop, 50);
    char *reply;
    size_t len;
    assert_int_equal(frame_recv(sv[1], 1024, 1000, &reply, &len, NULL, NULL), 0);
    assert_string_equal(reply, "ok");
    free(reply);
    /* a queue that overflows (the peer never reads): failed at once, told later */
    conn_set_max_send(c, CONN_MAX_QUEUED);
    size_t chunk = 8u << 20;
    char *blob = calloc(1, chunk);
    int r = 0;
    for (int i = 0; i < 16 && r == 0; i++)
        r = conn_send(c, blob, chunk, NULL, 0);
    free(blob);
    assert_int_equal(r, -ENOBUFS);
    assert_int_equal(x.closed, 0);
    assert_int_equal(conn_send(c, "late", 4, NULL, 0), -EPIPE);
    run_for(loop, 50);
    assert_int_equal(x.closed, 1);
    assert_int_equal(x.close_err, -ENOBUFS);
    close(sv[1]);
    ev_loop_free(loop);
}

static int oversize_seen;
static void on_oversize(struct conn *c, size_t len, void *data)
{
    (void)data;
    oversize_seen = (int)len;
    conn_send(c, "too big", 7, NULL, 0);
    conn_close_after_flush(c);
}

/* With on_oversize the owner can answer an oversized frame before closing;
 * a shared input budget bounds what partial frames of many conns hold. */
static void test_conn_oversize_and_budget(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    const struct conn_handlers h = {
        .on_frame = on_frame, .on_close = on_close, .on_oversize = on_oversize};
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct conn_ctx x = {0};
    assert_non_null(conn_new(loop, sv[0], 1024, &h, &x));
    char big[4096];
    memset(big, 'x', sizeof(big));
    assert_int_equal(frame_send(sv[1], big, sizeof(big), NULL, 0), 0);
    run_for(loop, 50);
    assert_int_equal(oversize_seen, 4096);
    char *reply;
    size_t len;
    assert_int_equal(frame_recv(sv[1], 1024, 1000, &reply, &len, NULL, NULL), 0);
    assert_string_equal(reply, "too big");
    free(reply);
    assert_int_equal(x.closed, 0); /* the owner closed it: no on_close */
    close(sv[1]);

    struct conn_budget budget = {0, 200000};
    int peers[8];
    struct conn_ctx ctx[8] = {{0}};
    int failed = 0;
    for (int i = 0; i < 8; i++) {
        int p[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
        struct conn *c = conn_new(loop, p[0], 1u << 20, &handlers, &ctx[i]);
        conn_set_budget(c, &budget);
        peers[i] = p[1];
        /* a header announcing 1 MiB, and 100 KiB of it */
        unsigned char hdr[8] = {'D', 'R', 1, 0, 0, 0, 0x10, 0};
        assert_int_equal(write(p[1], hdr, 8), 8);
        char *part = calloc(1, 100000);
        assert_int_equal(write(p[1], part, 100000), 100000);
        free(part);
        run_for(loop, 20);
    }
    run_for(loop, 50);
    for (int i = 0; i < 8; i++) {
        failed += ctx[i].closed;
        if (ctx[i].closed)
            assert_int_equal(ctx[i].close_err, -ENOBUFS);
        close(peers[i]);
    }
    assert_true(failed >= 4);
    assert_true(budget.used <= budget.max);
    run_for(loop, 50);
    assert_int_equal(budget.used, 0);
    ev_loop_free(loop);
}

static int sleeps;
static void before_sleep(struct ev_loop *loop, void *data)
{
    (void)loop;
    (void)data;
    sleeps++;
}

static void test_before_sleep(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    ev_loop_set_before_sleep(loop, before_sleep, NULL);
    for (int i = 0; i < 3; i++)
        ev_loop_run_once(loop, 0);
    assert_int_equal(sleeps, 3);
    ev_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_order_and_cancel),
        cmocka_unit_test(test_io_removal_in_batch),
        cmocka_unit_test(test_signal),
        cmocka_unit_test(test_conn_frames_and_bad_peers),
        cmocka_unit_test(test_conn_close_is_deferred),
        cmocka_unit_test(test_conn_oversize_and_budget),
        cmocka_unit_test(test_before_sleep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
