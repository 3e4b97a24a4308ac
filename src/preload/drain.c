/* drain.c - taking a process's shared sockets out of service on
 * DRAIN_SIGNAL (proto/drain.h), so that a worker about to be stopped takes
 * no new connection while the others take them all.
 *
 * Everything the handler does is async-signal-safe: raw syscalls, no
 * allocation, no stdio. For every shared listening fd of the process it
 *   1. finds the epoll sets that watch it (/proc/self/fdinfo of each epoll
 *      fd: works whatever registered it, libc, syscall() or io_uring),
 *   2. removes it from them while the fd still names the shared socket,
 *   3. dup3()s over it a listening socket no one can connect to (TCP on
 *      loopback, port chosen by the kernel, with a socket filter that drops
 *      every packet), keeping the fd's close-on-exec and non-blocking flags,
 *   4. adds that socket back to the same epoll sets with the same events
 *      and data.
 * poll, select and epoll loops then never see the fd ready again, and a
 * blocking accept() interrupted by the signal restarts on the new socket
 * (the supervisor signals every thread, sup/drain.h): no busy loop, no
 * error, and the shared queue stays with the other workers. */
#include "preload/shim.h"
#include "proto/drain.h"
#include "proto/frame.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_EPOLLS 32
#define MAX_REGS 64

/* 0: not drained, 1: the handler is at work, 2: done */
static int drain_state;
static int armed;

/* the registration, encoded once: sent again by every forked child */
static struct sockaddr_un broker_addr;
static socklen_t broker_len;
static uint8_t reg_frame[64];
static size_t reg_len;

static void raw_close(int fd)
{
    syscall(SYS_close, fd);
}

/* --- small async-signal-safe parsing -------------------------------------- */

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Parses an unsigned number in base 10 or 16 at p; *ok tells if any digit. */
static uint64_t parse_u64(const char *p, const char *end, int base, int *ok)
{
    uint64_t v = 0;
    *ok = 0;
    for (; p < end; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else
            break;
        v = v * (uint64_t)base + (uint64_t)d;
        *ok = 1;
    }
    return v;
}

/* The value after "key" in line [p, end), or 0 with *ok 0. */
static uint64_t field(const char *p, const char *end, const char *key, int base, int *ok)
{
    size_t klen = strlen(key);
    for (; p + klen <= end; p++)
        if (memcmp(p, key, klen) == 0)
            return parse_u64(skip_spaces(p + klen, end), end, base, ok);
    *ok = 0;
    return 0;
}

static int format_uint(char *out, unsigned v)
{
    char tmp[16];
    int n = 0, k = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out[k++] = tmp[--n];
    out[k] = '\0';
    return k;
}

/* --- the process's epoll sets --------------------------------------------- */

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* The fds of this process that are epoll sets. */
static int list_epolls(int *out, int max)
{
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return 0;
    int n = 0;
    char buf[2048];
    long got;
    while (n < max && (got = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < got && n < max;) {
            struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);
            off += de->d_reclen;
            int ok;
            const char *name = de->d_name;
            int fd = (int)parse_u64(name, name + strlen(name), 10, &ok);
            if (!ok || fd == dir)
                continue;
            char link[32];
            ssize_t l = readlinkat(dir, name, link, sizeof(link) - 1);
            if (l == (ssize_t)strlen("anon_inode:[eventpoll]") &&
                memcmp(link, "anon_inode:[eventpoll]", (size_t)l) == 0)
                out[n++] = fd;
        }
    }
    raw_close(dir);
    return n;
}

struct ep_reg {
    int epfd;
    uint32_t events;
    uint64_t data;
};

/* Adds to regs the registrations of (fd, socket inode ino) in epfd, read
 * from /proc/self/fdinfo/<epfd>: "tfd: N events: X data: X pos:N ino:X". */
static int find_regs(int epfd, int fd, unsigned long ino, struct ep_reg *regs, int n, int max)
{
    char path[48] = "/proc/self/fdinfo/";
    format_uint(path + strlen(path), (unsigned)epfd);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return n;
    char buf[4096];
    size_t have = 0;
    for (;;) {
        ssize_t got = read(f, buf + have, sizeof(buf) - have);
        if (got <= 0)
            break;
        have += (size_t)got;
        char *line = buf, *end = buf + have, *nl;
        while ((nl = memchr(line, '\n', (size_t)(end - line)))) {
            int ok_tfd, ok_ev, ok_data, ok_ino;
            uint64_t tfd = field(line, nl, "tfd:", 10, &ok_tfd);
            uint64_t events = field(line, nl, "events:", 16, &ok_ev);
            uint64_t data = field(line, nl, "data:", 16, &ok_data);
            uint64_t tino = field(line, nl, "ino:", 16, &ok_ino);
            if (ok_tfd && ok_ev && ok_data && (int)tfd == fd && (!ok_ino || tino == ino) && n < max)
                regs[n++] = (struct ep_reg){epfd, (uint32_t)events, data};
            line = nl + 1;
        }
        have = (size_t)(end - line);
        memmove(buf, line, have);
        if (have == sizeof(buf))
            have = 0; /* a line longer than the buffer: not one of ours */
    }
    raw_close(f);
    return n;
}

/* --- the replacement socket ----------------------------------------------- */

/* A listening socket nobody can connect to: its filter drops every packet,
 * so a SYN never gets an answer. Falls back to an autobound AF_UNIX one. */
static int never_connectable(int nonblock)
{
    int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
    struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog prog = {1, &drop};
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    const struct {
        int family;
        const void *addr;
        socklen_t len;
    } tries[] = {{AF_INET, &v4, sizeof(v4)}, {AF_INET6, &v6, sizeof(v6)}};
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        int s = socket(tries[i].family, type, 0);
        if (s < 0)
            continue;
        if (setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0 &&
            syscall(SYS_bind, s, tries[i].addr, tries[i].len) == 0 &&
            syscall(SYS_listen, s, 1) == 0)
            return s;
        raw_close(s);
    }
    int s = socket(AF_UNIX, type, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    if (s >= 0 && syscall(SYS_bind, s, &un, sizeof(sa_family_t)) == 0 &&
        syscall(SYS_listen, s, 1) == 0)
        return s;
    if (s >= 0)
        raw_close(s);
    return -1;
}

/* --- the handler ----------------------------------------------------------- */

static void swap_one(int fd, unsigned long ino, const int *epfds, int n_epfds)
{
    struct stat st;
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || (ino && st.st_ino != ino) ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
        return; /* closed (perhaps behind our back, by a raw syscall) or reused */
    int fd_flags = fcntl(fd, F_GETFD);
    int fl_flags = fcntl(fd, F_GETFL);
    int dummy = never_connectable(fl_flags >= 0 && (fl_flags & O_NONBLOCK));
    if (dummy < 0)
        return;
    struct ep_reg regs[MAX_REGS];
    int n = 0;
    for (int i = 0; i < n_epfds; i++)
        n = find_regs(epfds[i], fd, (unsigned long)st.st_ino, regs, n, MAX_REGS);
    for (int i = 0; i < n; i++)
        epoll_ctl(regs[i].epfd, EPOLL_CTL_DEL, fd, NULL);
    int cloexec = fd_flags >= 0 && (fd_flags & FD_CLOEXEC);
    int swapped = dup3(dummy, fd, cloexec ? O_CLOEXEC : 0) == fd;
    raw_close(dummy);
    /* the same registrations, now on the socket that never fires (or back
     * on the shared one if dup3 failed) */
    for (int i = 0; i < n; i++) {
        struct epoll_event ev = {.events = regs[i].events, .data.u64 = regs[i].data};
        epoll_ctl(regs[i].epfd, EPOLL_CTL_ADD, fd, &ev);
    }
    if (swapped)
        shim_unmark_shared(fd);
}

static void on_drain(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)info;
    (void)ctx;
    int saved = errno;
    int expected = 0;
    if (__atomic_compare_exchange_n(&drain_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        int fds[MAX_SHARED], epfds[MAX_EPOLLS];
        unsigned long inos[MAX_SHARED];
        int n = shim_shared_fds(fds, inos, MAX_SHARED);
        int n_ep = n > 0 ? list_epolls(epfds, MAX_EPOLLS) : 0;
        for (int i = 0; i < n; i++)
            swap_one(fds[i], inos[i], epfds, n_ep);
        __atomic_store_n(&drain_state, 2, __ATOMIC_RELEASE);
    } else {
        /* another thread swaps: a blocking accept() interrupted here must
         * restart only once the fd names the new socket */
        for (int i = 0; i < 100000 && __atomic_load_n(&drain_state, __ATOMIC_ACQUIRE) == 1; i++)
            sched_yield();
    }
    errno = saved;
}

/* --- registration ------------------------------------------------------------ */

/* Tells the broker this process is drainable; the broker reads our pid from
 * the connection. Raw calls only: also run in a child right after fork. */
static void register_now(void)
{
    if (!reg_len)
        return;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    if (connect(s, (struct sockaddr *)&broker_addr, broker_len) == 0)
        (void)!send(s, reg_frame, reg_len, MSG_NOSIGNAL);
    raw_close(s);
}

static void on_fork_child(void)
{
    register_now();
}

/* Encodes the registration frame and the broker's address once. */
static int prepare_registration(void)
{
    const char *name = getenv("DROVER_BROKER");
    if (!name || name[0] != '@' || strlen(name) > sizeof(broker_addr.sun_path) - 1)
        return -EINVAL;
    broker_addr.sun_family = AF_UNIX;
    size_t n = strlen(name + 1);
    memcpy(broker_addr.sun_path + 1, name + 1, n);
    broker_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    static const char payload[] = "cmd=drainable";
    size_t plen = sizeof(payload); /* with its NUL: one kv record */
    if (FRAME_HEADER_LEN + plen > sizeof(reg_frame))
        return -E2BIG;
    frame_header_encode(reg_frame, plen, 0);
    memcpy(reg_frame + FRAME_HEADER_LEN, payload, plen);
    reg_len = FRAME_HEADER_LEN + plen;
    return 0;
}

void shim_drain_arm(void)
{
    if (__atomic_exchange_n(&armed, 1, __ATOMIC_ACQ_REL))
        return;
    struct sigaction old;
    if (sigaction(DRAIN_SIGNAL, NULL, &old) < 0 || old.sa_handler != SIG_DFL)
        return; /* the app's own: never ours to take */
    if (prepare_registration() < 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_drain;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(DRAIN_SIGNAL, &sa, NULL) < 0)
        return;
    pthread_atfork(NULL, NULL, on_fork_child);
    register_now();
}

/* The sockets a process inherits with LISTEN_FDS (systemd's contract, when
 * LISTEN_PID is its own pid: never a wrapper's) are shared sockets too. */
__attribute__((constructor)) static void drain_init_listen_fds(void)
{
    const char *broker = getenv("DROVER_BROKER");
    const char *pid = getenv("LISTEN_PID");
    const char *count = getenv("LISTEN_FDS");
    if (!broker || !pid || !count || atol(pid) != (long)getpid())
        return;
    int n = atoi(count), any = 0;
    for (int fd = 3; fd < 3 + n && fd < 3 + MAX_SHARED; fd++) {
        int listening = 0;
        socklen_t len = sizeof(listening);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) {
            shim_mark_shared(fd);
            any = 1;
        }
    }
    if (any) {
        shim_stats_attach();
        shim_drain_arm();
    }
}
