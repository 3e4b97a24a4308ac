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
#include <fcntl.h>
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
    char body[64];
    char auth[64];
};

static int echo_handler(const struct http_request *req, struct http_response *resp, void *data)
{
    struct round_trip *rt = data;
    rt->calls++;
    snprintf(rt->path, sizeof(rt->path), "%s", req->path);
    snprintf(rt->body, sizeof(rt->body), "%.*s", (int)req->body_len, req->body ? req->body : "");
    snprintf(rt->auth, sizeof(rt->auth), "%s", req->authorization);
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

/* Starts a server on a port the kernel picks; *addr gets where. */
static struct http_server *start_server(struct ev_loop *loop, http_handler_fn handler, void *data,
                                        struct sockaddr_in *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(http_parse_address("127.0.0.1:1", &ss, &len), 0);
    ((struct sockaddr_in *)&ss)->sin_port = 0; /* the kernel picks */
    struct http_server *srv = NULL;
    assert_int_equal(http_server_start(loop, (struct sockaddr *)&ss, len, handler, data, &srv), 0);
    assert_int_equal(http_server_address(srv, &ss, &len), 0);
    memcpy(addr, &ss, sizeof(*addr));
    assert_int_not_equal(addr->sin_port, 0);
    return srv;
}

static void test_server_round_trip(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    assert_non_null(loop);
    struct round_trip rt = {0};
    struct sockaddr_in addr_in;
    struct sockaddr_in *addr = &addr_in;
    struct http_server *srv = start_server(loop, echo_handler, &rt, addr);

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

    /* a POST needs a Content-Length, at most HTTP_POST_MAX bytes */
    const char *post = "POST /here HTTP/1.1\r\n\r\n";
    int calls = rt.calls;
    reply = exchange(loop, addr, post, strlen(post));
    assert_non_null(strstr(reply, "HTTP/1.1 411 Length Required\r\n"));
    const char *huge = "POST /here HTTP/1.1\r\nContent-Length: 4097\r\n\r\n";
    reply = exchange(loop, addr, huge, strlen(huge));
    assert_non_null(strstr(reply, "HTTP/1.1 413 "));
    const char *chunked = "POST /here HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    reply = exchange(loop, addr, chunked, strlen(chunked));
    assert_non_null(strstr(reply, "HTTP/1.1 411 "));
    const char *put = "PUT /here HTTP/1.1\r\n\r\n";
    reply = exchange(loop, addr, put, strlen(put));
    assert_non_null(strstr(reply, "HTTP/1.1 405 Method Not Allowed\r\nContent-Type"));
    assert_non_null(strstr(reply, "Allow: GET, HEAD, POST\r\n"));
    assert_int_equal(rt.calls, calls);
    /* the body reaches the handler whole, even sent late */
    const char *with_body = "POST /body HTTP/1.1\r\nContent-Length: 11\r\n"
                            "Authorization:  Bearer abc \r\n\r\nhello world";
    reply = exchange(loop, addr, with_body, strlen(with_body));
    assert_int_equal(rt.calls, calls + 1);
    assert_string_equal(rt.body, "hello world");
    assert_string_equal(rt.auth, "Bearer abc");
    assert_non_null(strstr(reply, "X-Content-Type-Options: nosniff\r\n"));

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

/* HTTP_DEFER and HTTP_STREAM: a handler that answers later, or streams. */
struct later {
    uint64_t id;
    int deferred;
};

static int later_handler(const struct http_request *req, struct http_response *resp, void *data)
{
    struct later *l = data;
    if (!strcmp(req->path, "/events")) {
        resp->stream_kind = 7;
        int r = strbuf_puts(&resp->body, "data: first\n\n");
        return r < 0 ? r : HTTP_STREAM;
    }
    l->id = resp->id;
    l->deferred++;
    return HTTP_DEFER;
}

/* A connected non-blocking client that sent request. */
static int client(const struct sockaddr_in *addr, const char *request, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    assert_int_equal(connect(fd, (const struct sockaddr *)addr, sizeof(*addr)), 0);
    assert_int_equal(send(fd, request, strlen(request), MSG_NOSIGNAL), (ssize_t)strlen(request));
    assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
    return fd;
}

/* Runs the loop a few turns, appending what fd received to buf (len
 * bytes, NUL-terminated). Returns 1 when the server closed. */
static int pump(struct ev_loop *loop, int fd, char *buf, size_t len, int turns)
{
    size_t got = strlen(buf);
    for (int t = 0; t < turns; t++) {
        ev_loop_run_once(loop, 2);
        for (;;) {
            char sink[65536];
            ssize_t n = recv(fd, got + 1 < len ? buf + got : sink,
                             got + 1 < len ? len - 1 - got : sizeof(sink), 0);
            if (n == 0)
                return 1;
            if (n < 0)
                break;
            if (got + 1 < len)
                got += (size_t)n;
        }
        buf[got] = '\0';
    }
    return 0;
}

static void test_server_deferred(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    struct later l = {0};
    struct sockaddr_in addr;
    struct http_server *srv = start_server(loop, later_handler, &l, &addr);
    char buf[4096] = "";

    int fd = client(&addr, "GET /later HTTP/1.1\r\n\r\n", 0);
    pump(loop, fd, buf, sizeof(buf), 20);
    assert_int_equal(l.deferred, 1);
    assert_string_equal(buf, ""); /* nothing yet */
    struct strbuf body = STRBUF_INIT;
    strbuf_puts(&body, "done\n");
    assert_int_equal(http_respond(srv, l.id, 202, "text/plain", &body), 0);
    assert_int_equal(pump(loop, fd, buf, sizeof(buf), 200), 1);
    assert_non_null(strstr(buf, "HTTP/1.1 202 Accepted\r\n"));
    assert_non_null(strstr(buf, "\r\n\r\ndone\n"));
    close(fd);
    /* answered once: the id is spent */
    assert_int_equal(http_respond(srv, l.id, 200, "text/plain", &body), -ENOENT);

    /* the client left first: answering is a harmless no-op */
    fd = client(&addr, "GET /later HTTP/1.1\r\n\r\n", 0);
    buf[0] = '\0';
    pump(loop, fd, buf, sizeof(buf), 20);
    assert_int_equal(l.deferred, 2);
    close(fd);
    for (int t = 0; t < 20; t++)
        ev_loop_run_once(loop, 2);
    assert_int_equal(http_respond(srv, l.id, 200, "text/plain", &body), -ENOENT);
    assert_int_equal(http_respond(srv, 12345, 200, "text/plain", NULL), -ENOENT);
    strbuf_free(&body);
    http_server_free(srv);
    ev_loop_free(loop);
}

static void test_server_streams(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new();
    struct later l = {0};
    struct sockaddr_in addr;
    struct http_server *srv = start_server(loop, later_handler, &l, &addr);
    static char buf[HTTP_MAX_STREAMS + 1][4096];
    int fds[HTTP_MAX_STREAMS + 1];
    for (int i = 0; i < HTTP_MAX_STREAMS; i++) {
        fds[i] = client(&addr, "GET /events HTTP/1.1\r\n\r\n", 0);
        buf[i][0] = '\0';
        assert_int_equal(pump(loop, fds[i], buf[i], sizeof(buf[i]), 10), 0);
        assert_non_null(strstr(buf[i], "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"));
        assert_null(strstr(buf[i], "Content-Length"));
        assert_non_null(strstr(buf[i], "\r\n\r\ndata: first\n\n"));
    }
    assert_int_equal(http_stream_count(srv, 7), HTTP_MAX_STREAMS);
    assert_int_equal(http_stream_count(srv, 8), 0);
    /* one too many: 503, the others stay */
    int extra = client(&addr, "GET /events HTTP/1.1\r\n\r\n", 0);
    buf[HTTP_MAX_STREAMS][0] = '\0';
    assert_int_equal(pump(loop, extra, buf[HTTP_MAX_STREAMS], 4096, 200), 1);
    assert_non_null(strstr(buf[HTTP_MAX_STREAMS], "HTTP/1.1 503 "));
    close(extra);
    /* plain requests still work beside full streams */
    char plain[4096] = "";
    int p = client(&addr, "GET /later HTTP/1.1\r\n\r\n", 0);
    pump(loop, p, plain, sizeof(plain), 5);
    assert_int_equal(http_respond(srv, l.id, 200, "text/plain", NULL), 0);
    assert_int_equal(pump(loop, p, plain, sizeof(plain), 100), 1);
    assert_non_null(strstr(plain, "HTTP/1.1 200 OK"));
    close(p);

    /* an event reaches every stream of its kind, one data line per line */
    assert_int_equal(http_stream_push(srv, 7, "tick", "a\nb", 3), HTTP_MAX_STREAMS);
    assert_int_equal(http_stream_push(srv, 8, "tick", "a", 1), 0);
    for (int i = 0; i < HTTP_MAX_STREAMS; i++) {
        buf[i][0] = '\0';
        pump(loop, fds[i], buf[i], sizeof(buf[i]), 3);
        assert_string_equal(buf[i], "event: tick\ndata: a\ndata: b\n\n");
    }
    /* a client that leaves is counted out */
    close(fds[0]);
    for (int t = 0; t < 20 && http_stream_count(srv, 7) == HTTP_MAX_STREAMS; t++)
        ev_loop_run_once(loop, 2);
    assert_int_equal(http_stream_count(srv, 7), HTTP_MAX_STREAMS - 1);
    for (int i = 2; i < HTTP_MAX_STREAMS; i++)
        close(fds[i]);
    for (int t = 0; t < 50 && http_stream_count(srv, 7) > 1; t++)
        ev_loop_run_once(loop, 2);
    assert_int_equal(http_stream_count(srv, 7), 1);

    /* a reader that never reads is dropped once it is HTTP_STREAM_OUT_MAX
     * behind (past what the kernel buffers); a reader that reads stays */
    int slow = client(&addr, "GET /events HTTP/1.1\r\n\r\n", 4096);
    for (int t = 0; t < 10; t++)
        ev_loop_run_once(loop, 2);
    assert_int_equal(http_stream_count(srv, 7), 2);
    size_t event_len = 60000;
    char *event = malloc(event_len);
    memset(event, 'x', event_len);
    int pushes = 0;
    while (http_stream_count(srv, 7) == 2 && pushes < 2000) {
        http_stream_push(srv, 7, NULL, event, event_len);
        pushes++;
        buf[1][0] = '\0';
        pump(loop, fds[1], buf[1], sizeof(buf[1]), 2);
    }
    assert_int_equal(http_stream_count(srv, 7), 1);
    buf[1][0] = '\0';
    assert_int_equal(pump(loop, fds[1], buf[1], sizeof(buf[1]), 5), 0); /* still open */
    char sink[256];
    int dropped = 0;
    for (int t = 0; t < 100000 && !dropped; t++) {
        ssize_t n = recv(slow, sink, sizeof(sink), 0);
        dropped = n == 0 || (n < 0 && errno != EAGAIN);
    }
    assert_true(dropped);
    free(event);
    close(slow);
    close(fds[1]);
    http_server_free(srv);
    ev_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_complete),    cmocka_unit_test(test_parse_incomplete),
        cmocka_unit_test(test_parse_malformed),   cmocka_unit_test(test_path_decode),
        cmocka_unit_test(test_prom_text),         cmocka_unit_test(test_parse_address),
        cmocka_unit_test(test_server_round_trip), cmocka_unit_test(test_server_deferred),
        cmocka_unit_test(test_server_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
