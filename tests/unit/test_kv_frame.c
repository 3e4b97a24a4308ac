/* Unit tests for proto/kv.c and proto/frame.c: encoding, malformed input,
 * size caps, descriptor passing over a real socketpair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/frame.h"
#include "proto/kv.h"

static void test_kv_roundtrip(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(kv_add(&sb, "cmd", "start"), 0);
    assert_int_equal(kv_add(&sb, "arg", "node"), 0);
    assert_int_equal(kv_add(&sb, "arg", "a=b c"), 0);
    assert_int_equal(kv_add_i64(&sb, "id", -7), 0);
    assert_int_equal(kv_add(&sb, "empty", ""), 0);
    assert_int_equal(kv_add(&sb, "Bad", "x"), -EINVAL);
    assert_int_equal(kv_add_len(&sb, "nul", "a\0b", 3), -EINVAL);

    struct kv_msg m;
    assert_int_equal(kv_parse(sb.buf, sb.len, &m), 0);
    assert_string_equal(kv_get(&m, "cmd"), "start");
    assert_int_equal(kv_get_i64(&m, "id", 0), -7);
    assert_int_equal(kv_get_i64(&m, "missing", 99), 99);
    assert_string_equal(kv_get(&m, "empty"), "");
    assert_null(kv_get(&m, "cm"));
    assert_int_equal(kv_count(&m, "arg"), 2);
    size_t pos = 0;
    assert_string_equal(kv_next(&m, "arg", &pos), "node");
    assert_string_equal(kv_next(&m, "arg", &pos), "a=b c");
    assert_null(kv_next(&m, "arg", &pos));
    strbuf_free(&sb);
}

static void test_kv_malformed(void **state)
{
    (void)state;
    struct kv_msg m;
    assert_int_equal(kv_parse("a=1", 3, &m), -EPROTO);       /* no NUL */
    assert_int_equal(kv_parse("novalue\0", 8, &m), -EPROTO); /* no '=' */
    assert_int_equal(kv_parse("=x\0", 3, &m), -EPROTO);      /* empty key */
    assert_int_equal(kv_parse("A=x\0", 4, &m), -EPROTO);     /* bad key char */
    assert_int_equal(kv_parse("a=x\0b=y\0", 8, &m), 0);
    assert_int_equal(kv_parse("", 0, &m), 0);
}

static void test_frame_header(void **state)
{
    (void)state;
    uint8_t h[FRAME_HEADER_LEN];
    size_t len;
    unsigned nfds;
    frame_header_encode(h, 70000, 2);
    assert_int_equal(frame_header_decode(h, 1 << 20, &len, &nfds), 0);
    assert_int_equal(len, 70000);
    assert_int_equal(nfds, 2);
    assert_int_equal(frame_header_decode(h, 1000, &len, &nfds), -EMSGSIZE);
    h[2] = 9;
    assert_int_equal(frame_header_decode(h, 1 << 20, &len, &nfds), -EPROTONOSUPPORT);
    h[0] = 'X';
    assert_int_equal(frame_header_decode(h, 1 << 20, &len, &nfds), -EPROTO);
    frame_header_encode(h, 10, FRAME_MAX_FDS + 1);
    assert_int_equal(frame_header_decode(h, 1 << 20, &len, &nfds), -EMSGSIZE);
}

static void test_frame_socketpair_with_fds(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    assert_int_equal(frame_send(sv[0], "hello", 5, &p[1], 1), 0);
    assert_int_equal(frame_send(sv[0], "second", 6, NULL, 0), 0);

    char *payload = NULL;
    size_t len = 0;
    int fds[FRAME_MAX_FDS];
    unsigned nfds = 0;
    assert_int_equal(frame_recv(sv[1], 1024, 1000, &payload, &len, fds, &nfds), 0);
    assert_string_equal(payload, "hello");
    assert_int_equal(nfds, 1);
    /* the received fd is the pipe's write end: prove it by writing through it */
    assert_int_equal(write(fds[0], "x", 1), 1);
    char c;
    assert_int_equal(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'x');
    assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
    close(fds[0]);
    free(payload);

    assert_int_equal(frame_recv(sv[1], 1024, 1000, &payload, &len, fds, &nfds), 0);
    assert_string_equal(payload, "second");
    assert_int_equal(nfds, 0);
    free(payload);

    /* oversized frame is refused without reading it into memory */
    assert_int_equal(frame_send(sv[0], "0123456789", 10, NULL, 0), 0);
    assert_int_equal(frame_recv(sv[1], 4, 1000, &payload, &len, NULL, NULL), -EMSGSIZE);

    /* timeout when nothing comes */
    int sv2[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv2), 0);
    assert_int_equal(frame_recv(sv2[1], 1024, 50, &payload, &len, NULL, NULL), -ETIMEDOUT);
    close(sv2[0]);
    assert_int_equal(frame_recv(sv2[1], 1024, 1000, &payload, &len, NULL, NULL), -EPIPE);
    close(sv2[1]);
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_roundtrip),
        cmocka_unit_test(test_kv_malformed),
        cmocka_unit_test(test_frame_header),
        cmocka_unit_test(test_frame_socketpair_with_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
