/* preload.c - the socket-sharing shim (see preload.h). */
#include "preload/preload.h"
#include "preload/shim.h"
#include "base/strbuf.h"
#include "proto/frame.h"
#include "proto/kv.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define BROKER_TIMEOUT_MS 30000

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*listen_fn)(int, int);
typedef int (*shutdown_fn)(int, int);
typedef int (*close_fn)(int);
typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);
typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);
typedef long (*syscall_fn)(long, ...);
typedef int (*close_range_fn)(unsigned, unsigned, int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);

/* fds of this process that hold a shared socket (0: free slot, else fd+1),
 * and the socket's inode (what the drain handler checks it still is) */
static int shared_fds[MAX_SHARED];
static unsigned long shared_inos[MAX_SHARED];

static void *next_symbol(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static int is_shared(int fd)
{
    for (int i = 0; i < MAX_SHARED; i++)
        if (__atomic_load_n(&shared_fds[i], __ATOMIC_ACQUIRE) == fd + 1)
            return 1;
    return 0;
}

void shim_mark_shared(int fd)
{
    struct stat st;
    if (is_shared(fd) || fstat(fd, &st) < 0)
        return;
    for (int i = 0; i < MAX_SHARED; i++) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&shared_fds[i], &expected, -1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&shared_inos[i], (unsigned long)st.st_ino, __ATOMIC_RELAXED);
            __atomic_store_n(&shared_fds[i], fd + 1, __ATOMIC_RELEASE);
            return;
        }
    }
}

void shim_unmark_shared(int fd)
{
    for (int i = 0; i < MAX_SHARED; i++) {
        int expected = fd + 1;
        __atomic_compare_exchange_n(&shared_fds[i], &expected, 0, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE);
    }
}

int shim_shared_fds(int *fds, unsigned long *inos, int max)
{
    int n = 0;
    for (int i = 0; i < MAX_SHARED && n < max; i++) {
        int v = __atomic_load_n(&shared_fds[i], __ATOMIC_ACQUIRE);
        if (v <= 0)
            continue;
        fds[n] = v - 1;
        inos[n++] = __atomic_load_n(&shared_inos[i], __ATOMIC_RELAXED);
    }
    return n;
}

/* Connects to the broker named "@name" in DROVER_BROKER; -1 if none. */
static int broker_connect(void)
{
    const char *name = getenv("DROVER_BROKER");
    if (!name || name[0] != '@' || strlen(name) > 100)
        return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(name + 1);
    memcpy(a.sun_path + 1, name + 1, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    if (connect(s, (struct sockaddr *)&a, len) < 0) {
        close(s);
        return -1;
    }
    return s;
}

int shim_broker_fd(const char *cmd, struct kv_msg *m, char **reply)
{
    struct strbuf req = STRBUF_INIT;
    size_t len = 0;
    int fd = -1, saved = errno;
    *reply = NULL;
    kv_add(&req, "cmd", cmd);
    int r = shim_broker_call(&req, reply, &len, &fd);
    strbuf_free(&req);
    if (r == 0 && (fd < 0 || kv_parse(*reply, len, m) < 0 || kv_get_i64(m, "ok", 0) != 1))
        r = -EPROTO;
    if (r < 0 && fd >= 0)
        close(fd);
    errno = saved;
    return r < 0 ? r : fd;
}

int shim_broker_call(struct strbuf *req, char **out, size_t *out_len, int *fd)
{
    int s = broker_connect();
    *fd = -1;
    if (s < 0)
        return -ENOTCONN;
    int fds[FRAME_MAX_FDS];
    unsigned nfds = 0;
    int r = frame_send(s, req->buf, req->len, NULL, 0);
    if (r == 0)
        r = frame_recv(s, 65536, BROKER_TIMEOUT_MS, out, out_len, fds, &nfds);
    close(s);
    if (r < 0)
        return r;
    for (unsigned i = 0; i < nfds; i++) {
        if (i == 0)
            *fd = fds[0];
        else
            close(fds[i]);
    }
    return 0;
}

static void report(const char *what, const char *addr, const char *why)
{
    char line[512];
    int n = snprintf(line, sizeof(line), "drover: cannot share %s (%s): %s\n", addr, what, why);
    if (n > 0)
        (void)!write(STDERR_FILENO, line,
                     (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
}

/* Asks the broker for the shared socket of addr and puts it at fd.
 * Returns 1 when done, 0 when the call should go to the real bind, -1 with
 * errno set when the bind must fail. */
static int share(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (!addr || !getenv("DROVER_BROKER"))
        return 0;
    int family = addr->sa_family;
    if ((family != AF_INET || len < sizeof(struct sockaddr_in)) &&
        (family != AF_INET6 || len < sizeof(struct sockaddr_in6)))
        return 0;
    int type = 0;
    socklen_t tl = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
        return 0;
    char host[INET6_ADDRSTRLEN];
    int port, v6only = 0;
    if (family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)addr;
        port = ntohs(s4->sin_port);
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
    } else {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)addr;
        port = ntohs(s6->sin6_port);
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        socklen_t vl = sizeof(v6only);
        getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &vl);
    }
    if (port == 0)
        return 0;

    char text[INET6_ADDRSTRLEN + 16];
    snprintf(text, sizeof(text), family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
    struct strbuf req = STRBUF_INIT;
    kv_add(&req, "cmd", "listen");
    kv_add(&req, "family", family == AF_INET6 ? "inet6" : "inet");
    kv_add(&req, "addr", host);
    kv_add_i64(&req, "port", port);
    kv_add_i64(&req, "v6only", v6only);
    char *reply = NULL;
    size_t reply_len = 0;
    int got = -1;
    int saved = errno;
    int r = shim_broker_call(&req, &reply, &reply_len, &got);
    strbuf_free(&req);
    if (r == -ENOTCONN) {
        free(reply);
        errno = saved;
        return 0; /* no supervisor here: behave as if we were not loaded */
    }
    struct kv_msg m;
    if (r < 0 || kv_parse(reply, reply_len, &m) < 0) {
        report("broker", text, r < 0 ? strerror(-r) : "bad reply");
        free(reply);
        if (got >= 0)
            close(got);
        errno = EADDRINUSE;
        return -1;
    }
    if (kv_get_i64(&m, "ok", 0) != 1 || got < 0) {
        int passthrough = kv_get_i64(&m, "passthrough", 0) == 1;
        int reuseport = kv_get_i64(&m, "reuseport", 0) == 1;
        if (!passthrough)
            report("refused", text, kv_get(&m, "error") ? kv_get(&m, "error") : "no socket");
        free(reply);
        if (got >= 0)
            close(got);
        if (passthrough) {
            int one = 1;
            if (reuseport)
                (void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
            errno = saved;
            return 0;
        }
        errno = EADDRINUSE;
        return -1;
    }
    free(reply);
    int fdflags = fcntl(fd, F_GETFD);
    int flflags = fcntl(fd, F_GETFL);
    if (dup3(got, fd, (fdflags >= 0 && (fdflags & FD_CLOEXEC)) ? O_CLOEXEC : 0) < 0) {
        int e = errno;
        close(got);
        errno = e;
        return -1;
    }
    close(got);
    /* the app's own socket was non-blocking: the shared one must be too for
     * it (the flag lives in the shared file description) */
    if (flflags >= 0 && (flflags & O_NONBLOCK)) {
        int cur = fcntl(fd, F_GETFL);
        if (cur >= 0 && !(cur & O_NONBLOCK))
            fcntl(fd, F_SETFL, cur | O_NONBLOCK);
    }
    shim_mark_shared(fd);
    /* this process now serves the shared queue: it can be drained, and
     * its accepts are counted */
    shim_stats_attach();
    shim_drain_arm();
    errno = saved;
    return 1;
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    static bind_fn real;
    if (!real)
        real = (bind_fn)next_symbol("bind");
    int r = share(fd, addr, len);
    if (r == 1)
        return 0;
    if (r < 0)
        return -1;
    return real(fd, addr, len);
}

static int already_listening(int fd)
{
    int on = 0;
    socklen_t l = sizeof(on);
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &l) == 0 && on;
}

static void report_ready(void)
{
    struct strbuf req = STRBUF_INIT;
    char *reply = NULL;
    size_t len = 0;
    int fd = -1;
    kv_add(&req, "cmd", "ready");
    if (shim_broker_call(&req, &reply, &len, &fd) == 0) {
        free(reply);
        if (fd >= 0)
            close(fd);
    }
    strbuf_free(&req);
}

EXPORT int listen(int fd, int backlog)
{
    static listen_fn real;
    if (!real)
        real = (listen_fn)next_symbol("listen");
    if (getenv("DROVER_BROKER") && (is_shared(fd) || already_listening(fd))) {
        /* shared (or inherited through LISTEN_FDS): keep the daemon's backlog */
        int saved = errno;
        report_ready();
        errno = saved;
        return 0;
    }
    return real(fd, backlog);
}

EXPORT int shutdown(int fd, int how)
{
    static shutdown_fn real;
    if (!real)
        real = (shutdown_fn)next_symbol("shutdown");
    if (is_shared(fd))
        return 0;
    return real(fd, how);
}

EXPORT int close(int fd)
{
    static close_fn real;
    if (!real)
        real = (close_fn)next_symbol("close");
    if (fd >= 0 && is_shared(fd))
        shim_unmark_shared(fd);
    shim_lc_closing(fd);
    return real(fd);
}

/* libuv closes with syscall(SYS_close, fd), past close() */
EXPORT long syscall(long number, ...)
{
    static syscall_fn real;
    if (!real)
        real = (syscall_fn)next_symbol("syscall");
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_close)
        shim_lc_closing((int)a[0]);
    else if (number == SYS_close_range && !(a[2] & CLOSE_RANGE_CLOEXEC))
        shim_lc_closing_range((unsigned)a[0], (unsigned)a[1]);
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    static close_range_fn real;
    if (!real)
        real = (close_range_fn)next_symbol("close_range");
    if (!(flags & CLOSE_RANGE_CLOEXEC))
        shim_lc_closing_range(first, last);
    return real(first, last, flags);
}

EXPORT int dup2(int old, int new)
{
    static dup2_fn real;
    if (!real)
        real = (dup2_fn)next_symbol("dup2");
    if (old != new)
        shim_lc_closing(new);
    return real(old, new);
}

EXPORT int dup3(int old, int new, int flags)
{
    static dup3_fn real;
    if (!real)
        real = (dup3_fn)next_symbol("dup3");
    if (old != new)
        shim_lc_closing(new);
    return real(old, new, flags);
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    static accept_fn real;
    if (!real)
        real = (accept_fn)next_symbol("accept");
    int r = real(fd, addr, len);
    if (r >= 0 && is_shared(fd)) {
        shim_stats_accepted();
        shim_lc_accepted(r);
    }
    return r;
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    static accept4_fn real;
    if (!real)
        real = (accept4_fn)next_symbol("accept4");
    int r = real(fd, addr, len, flags);
    if (r >= 0 && is_shared(fd)) {
        shim_stats_accepted();
        shim_lc_accepted(r);
    }
    return r;
}
