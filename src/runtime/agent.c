/* agent.c - a tiny HAProxy agent-check server. */
#include "runtime/agent.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/timeutil.h"
#include "config/listen_addr.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define AGENT_BACKLOG 64
#define AGENT_MAX_PER_TURN 32 /* connections answered per call */
#define AGENT_LINE_MAX 256

int agent_listen(const char *addr)
{
    struct listen_addr a;
    struct sockaddr_storage ss;
    if (listen_addr_parse(addr, &a) < 0)
        return -EINVAL;
    socklen_t sl = listen_addr_to_sockaddr(&a, 1, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 && ss.ss_family == AF_INET6 && a.family == AF_UNSPEC) {
        /* no IPv6 here: every IPv4 address */
        sl = listen_addr_to_sockaddr(&a, 0, &ss);
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    }
    if (fd < 0)
        return neg_errno();
    int one = 1, zero = 0;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6 && a.family == AF_UNSPEC)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, AGENT_BACKLOG) < 0) {
        int r = neg_errno();
        close(fd);
        return r;
    }
    return fd;
}

/* Reads the peer's line (agent-send), at most AGENT_READ_MS; an empty
 * line when it sends none. Strips the end of line. */
static void read_line(int fd, char *line, size_t len)
{
    size_t got = 0;
    int64_t deadline = mono_ms() + AGENT_READ_MS;
    while (got < len - 1 && !memchr(line, '\n', got)) {
        int64_t left = deadline - mono_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t n = read(fd, line + got, len - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    line[got] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
}

int agent_serve(int listen_fd, agent_answer_fn answer, void *ctx)
{
    int served = 0;
    while (served < AGENT_MAX_PER_TURN) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            break; /* EAGAIN: nobody waits; anything else: next turn */
        char line[AGENT_LINE_MAX], out[AGENT_LINE_MAX];
        read_line(fd, line, sizeof(line));
        answer(line[0] ? line : NULL, out, sizeof(out), ctx);
        (void)write_full(fd, out, strlen(out));
        close(fd);
        served++;
    }
    return served;
}
