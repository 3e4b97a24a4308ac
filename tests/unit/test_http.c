/* Unit tests for the daemon's HTTP pieces: the request-head parser and path
 * decoding (daemon/http/http_request.c), the Prometheus text writer
 * (prom_text.c), DROVER_HTTP addresses and one round trip through the
 * server on a real loop (http_server.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/http/http_request.h"
#include "daemon/http/http_server.h"
#include "daemon/http/prom_text.h"
#include "loop/loop.h"

static int parse(const char *text, struct http_request *req)
{
    return http_request_parse(text, strlen(text), req);
}

static void test_parse_complete(void **state)
{
    (void)state;
    struct http_request req;
    const char *head = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\nbody";
    assert_int_equal(parse(head, &req), (int)(strlen(head) - 4));
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.path, "/metrics");
    assert_int_equal(req.version_minor, 1);
    /* bare LF, HTTP/1.0, no headers */
    assert_int_equal(parse("HEAD /livez HTTP/1.0\n\n", &req), 22);
    assert_string_equal(req.method, "HEAD");
    assert_int_equal(req.version_minor, 0);
}

static void test_parse_incomplete(void **state)
{
    (void)state;
    struct http_request req;
    const char *head = "GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n";
    for (size_t n = 0; n < strlen(head); n++)
        assert_int_equal(http_request_parse(head, n, &req), 0);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    struct http_request req;
    static const char *bad[] = {
        "GET\r\n\r\n",
        " / HTTP/1.1\r\n\r\n",
        "GET  HTTP/1.1\r\n\r\n",
        "GET metrics HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 extra\r\n\r\n",
        "GET / HTTX/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon\r\n\r\n",
        "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GETTINGTOOLONGMETHODNAME / HTTP/1.1\r\n\r\n",
        "GET /a\x7f HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(bad[i], &req), -EBADMSG);
    assert_int_equal(parse("GET / HTTP/2.0\r\n\r\n", &req), -EPROTONOSUPPORT);
    char *long_path = malloc(HTTP_PATH_MAX + 40);
    strcpy(long_path, "GET /");
    memset(long_path + 5, 'a', HTTP_PATH_MAX);
    strcpy(long_path + 5 + HTTP_PATH_MAX, " HTTP/1.1\r\n\r\n");
    assert_int_equal(parse(long_path, &req), -ENAMETOOLONG);
    free(long_path);
}

static void test_path_decode(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(http_path_decode("web", out, sizeof(out)), 0);
    assert_string_equal(out, "web");
    assert_int_equal(http_path_decode("my%20app%2b", out, sizeof(out)), 0);
    assert_string_equal(out, "my app+");
    assert_int_equal(http_path_decode("a%2Fb", out, sizeof(out)), -EINVAL);
    assert_int_equal(http_path_decode("a/b", out, sizeof(out)), -EINVAL);
    assert_int_equal(http_path_decode("a%00", out, sizeof(out)), -EINVAL);
    assert_int_equal(http_path_decode("a%0a", out, sizeof(out)), -EINVAL);
    assert_int_equal(http_path_decode("a%4", out, sizeof(out)), -EINVAL);
    assert_int_equal(http_path_decode("a%zz", out, sizeof(out)), -EINVAL);
    assert_int_equal(http_path_decode("0123456789abcdef", out, sizeof(out)), -EINVAL);
    assert_int_equal(http_path_decode("0123456789abcde", out, sizeof(out)), 0);
}

static void test_prom_text(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(prom_family(&sb, "drover_x_total", PROM_COUNTER, "a \\ b\nc \"q\""), 0);
    const struct prom_label labels[] = {
        {"app", "we\"b\\1\n"}, {"skipped", NULL}, {"instance", "3"}};
    assert_int_equal(prom_sample(&sb, "drover_x_total", labels, 3, 42), 0);
    assert_int_equal(prom_sample(&sb, "drover_y", NULL, 0, 1.5), 0);
    assert_int_equal(prom_sample(&sb, "drover_y", labels + 1, 1, 1.0 / 0.0), 0);
    assert_int_equal(prom_sample(&sb, "drover_y", labels + 2, 1, 0.0 / 0.0), 0);
    assert_int_equal(prom_sample(&sb, "drover_y", labels + 2, 1, 1732900000.125), 0);
    assert_string_equal(sb.buf, "# HELP drover_x_total a \\\\ b\\nc \"q\"\n"
                                "# TYPE drover_x_total counter\n"
                                "drover_x_total{app=\"we\\\"b\\\\1\\n\",instance=\"3\"} 42\n"
                                "drover_y 1.5\n"
                                "drover_y +Inf\n"
                                "drover_y{instance=\"3\"} NaN\n"
                                "drover_y{instance=\"3\"} 1732900000.125\n");
    strbuf_reset(&sb);
    assert_int_equal(prom_family(&sb, "drover_up", PROM_GAUGE, "up"), 0);
    assert_string_equal(sb.buf, "# HELP drover_up up\n# TYPE drover_up gauge\n");
    sb.limit = 8;
    strbuf_reset(&sb);
    assert_int_equal(prom_sample(&sb, "drover_long_name", NULL, 0, 1), -E2BIG);
    strbuf_free(&sb);
}

static void test_parse_address(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    char text[64];
    assert_int_equal(http_parse_address("9615", &ss, &len), 0);
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)&ss;
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(in4->sin_port), 9615);
    assert_string_equal(inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text)), "127.0.0.1");
    assert_int_equal(http_parse_address("0.0.0.0:80", &ss, &len), 0);
    assert_string_equal(inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text)), "0.0.0.0");
    assert_int_equal(http_parse_address("[::1]:9615", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(len, sizeof(struct sockaddr_in6));
    static const char *bad[] = {"",          "abc",         "localhost:9615",
                                "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000",
                                "[::1]",     "::1:9615",    ":9615"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(http_parse_address(bad[i], &ss, &len), -EINVAL);
}

/* A round trip: the server on a loop, a client socket driven by hand. */
struct round_trip {
    int calls;
    char path[64];
};

static int echo_handler(const struct http_request *req, struct http_response *resp, void *data)
{
    struct round_trip *rt = data;
    rt->calls++;
    snprintf(rt->path, sizeof(rt->path), "%s", req->path);
    if (!strcmp(req->path, "/fail"))
        return -EIO;
    resp->status = !strcmp(req->path, "/here") ? 200 : 404;
    return strbuf_puts(&resp->body, "hello\n");
}

/* Sends request on a new connection, runs the loop until the server
 * closes it, returns what came back (static buffer). */
static const char *exchange(struct ev_loop *loop, const struct sockaddr_in *addr,
                            const char *request, size_t request_len)
{
    static char reply[4096];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    int r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
    assert_true(r == 0 || errno == EINPROGRESS);
    size_t sent = 0, got = 0;
    for (int turn = 0; turn < 2000; turn++) {
        ev_loop_run_once(loop, 5);
        if (sent < request_len) {
            ssize_t n = send(fd, request + sent, request_len - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
        }
        ssize_t n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN))
            break;
        if (n > 0)
            got += (size_t)n;
    }
    close(fd);
    reply[got] = '\0';
    return reply;
}

static void test_server_round_trip(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    assert_non_null(loop);
    /* a free port: bind one, note it, let it go */
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(http_parse_address("127.0.0.1:1", &ss, &len), 0);
    struct sockaddr_in *addr = (struct sockaddr_in *)&ss;
    addr->sin_port = 0;
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(probe, (struct sockaddr *)addr, len), 0);
    assert_int_equal(getsockname(probe, (struct sockaddr *)addr, &len), 0);
    close(probe);
    struct round_trip rt = {0};
    struct http_server *srv = NULL;
    assert_int_equal(http_server_start(loop, (struct sockaddr *)&ss, len, echo_handler, &rt, &srv),
                     0);

    const char *get = "GET /here HTTP/1.1\r\nHost: x\r\n\r\n";
    const char *reply = exchange(loop, addr, get, strlen(get));
    assert_non_null(strstr(reply, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(reply, "Content-Length: 6\r\n"));
    assert_non_null(strstr(reply, "Connection: close\r\n"));
    assert_non_null(strstr(reply, "\r\n\r\nhello\n"));
    assert_string_equal(rt.path, "/here");

    const char *head = "HEAD /nowhere HTTP/1.1\r\n\r\n";
    reply = exchange(loop, addr, head, strlen(head));
    assert_non_null(strstr(reply, "HTTP/1.1 404 Not Found\r\n"));
    assert_non_null(strstr(reply, "Content-Length: 6\r\n"));
    assert_null(strstr(reply, "hello"));

    const char *post = "POST /here HTTP/1.1\r\n\r\n";
    int calls = rt.calls;
    reply = exchange(loop, addr, post, strlen(post));
    assert_non_null(strstr(reply, "HTTP/1.1 405 Method Not Allowed\r\nContent-Type"));
    assert_non_null(strstr(reply, "Allow: GET, HEAD\r\n"));
    assert_int_equal(rt.calls, calls);

    const char *fail = "GET /fail HTTP/1.1\r\n\r\n";
    reply = exchange(loop, addr, fail, strlen(fail));
    assert_non_null(strstr(reply, "HTTP/1.1 500 "));

    reply = exchange(loop, addr, "garbage\r\n\r\n", 11);
    assert_non_null(strstr(reply, "HTTP/1.1 400 Bad Request\r\n"));

    size_t big_len = HTTP_HEAD_MAX + 100;
    char *big = malloc(big_len);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    memset(big + 19, 'a', big_len - 19);
    reply = exchange(loop, addr, big, big_len);
    assert_non_null(strstr(reply, "HTTP/1.1 431 "));
    free(big);

    http_server_free(srv);
    ev_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_complete),    cmocka_unit_test(test_parse_incomplete),
        cmocka_unit_test(test_parse_malformed),   cmocka_unit_test(test_path_decode),
        cmocka_unit_test(test_prom_text),         cmocka_unit_test(test_parse_address),
        cmocka_unit_test(test_server_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
