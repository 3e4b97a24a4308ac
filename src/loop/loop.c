/* loop.c - epoll, a timer min-heap and a signalfd. */
#include "loop/loop.h"
#include "base/macros.h"
#include "base/timeutil.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct io_watch {
    ev_io_cb cb;
    void *data;
    unsigned events;
    uint32_t gen; /* bumped on every add, so stale epoll events are ignored */
    int active;
};

struct timer {
    int64_t when;
    int64_t id;
    ev_timer_cb cb;
    void *data;
};

struct sig_watch {
    ev_signal_cb cb;
    void *data;
};

struct ev_loop {
    int epfd;
    int sigfd;
    sigset_t sigmask;
    struct io_watch *io;
    int io_cap;
    struct timer *heap;
    size_t n_timers, heap_cap;
    int64_t next_timer_id;
    struct sig_watch sig[65];
    int64_t now;
    int stop;
    void (*before_sleep)(struct ev_loop *loop, void *data);
    void *before_sleep_data;
};

struct ev_loop *ev_loop_new(void)
{
    struct ev_loop *loop = calloc(1, sizeof(*loop));
    if (!loop)
        return NULL;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        free(loop);
        return NULL;
    }
    loop->sigfd = -1;
    sigemptyset(&loop->sigmask);
    loop->now = mono_ms();
    return loop;
}

void ev_loop_free(struct ev_loop *loop)
{
    if (!loop)
        return;
    close(loop->epfd);
    if (loop->sigfd >= 0)
        close(loop->sigfd);
    free(loop->io);
    free(loop->heap);
    free(loop);
}

static uint32_t to_epoll(unsigned events)
{
    uint32_t e = 0;
    if (events & EV_READ)
        e |= EPOLLIN | EPOLLRDHUP;
    if (events & EV_WRITE)
        e |= EPOLLOUT;
    return e;
}

static int grow_io(struct ev_loop *loop, int fd)
{
    if (fd < loop->io_cap)
        return 0;
    int ncap = loop->io_cap ? loop->io_cap : 64;
    while (ncap <= fd)
        ncap *= 2;
    struct io_watch *n = realloc(loop->io, (size_t)ncap * sizeof(*n));
    if (!n)
        return -ENOMEM;
    memset(n + loop->io_cap, 0, (size_t)(ncap - loop->io_cap) * sizeof(*n));
    loop->io = n;
    loop->io_cap = ncap;
    return 0;
}

int ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *data)
{
    if (fd < 0)
        return -EBADF;
    int r = grow_io(loop, fd);
    if (r < 0)
        return r;
    struct io_watch *w = &loop->io[fd];
    if (w->active)
        return -EEXIST;
    w->gen++;
    struct epoll_event ev = {.events = to_epoll(events),
                             .data.u64 = ((uint64_t)w->gen << 32) | (uint32_t)fd};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return neg_errno();
    w->cb = cb;
    w->data = data;
    w->events = events;
    w->active = 1;
    return 0;
}

int ev_io_mod(struct ev_loop *loop, int fd, unsigned events)
{
    if (fd < 0 || fd >= loop->io_cap || !loop->io[fd].active)
        return -ENOENT;
    struct io_watch *w = &loop->io[fd];
    if (w->events == events)
        return 0;
    struct epoll_event ev = {.events = to_epoll(events),
                             .data.u64 = ((uint64_t)w->gen << 32) | (uint32_t)fd};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        return neg_errno();
    w->events = events;
    return 0;
}

void ev_io_del(struct ev_loop *loop, int fd)
{
    if (fd < 0 || fd >= loop->io_cap || !loop->io[fd].active)
        return;
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
    loop->io[fd].active = 0;
    loop->io[fd].cb = NULL;
}

void ev_io_close(struct ev_loop *loop, int *fd)
{
    if (*fd < 0)
        return;
    ev_io_del(loop, *fd);
    close(*fd);
    *fd = -1;
}

/* --- timers: a binary min-heap ordered by (when, id) --- */

static int timer_less(const struct timer *a, const struct timer *b)
{
    return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void heap_swap(struct ev_loop *loop, size_t i, size_t j)
{
    struct timer t = loop->heap[i];
    loop->heap[i] = loop->heap[j];
    loop->heap[j] = t;
}

static void heap_up(struct ev_loop *loop, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!timer_less(&loop->heap[i], &loop->heap[p]))
            break;
        heap_swap(loop, i, p);
        i = p;
    }
}

static void heap_down(struct ev_loop *loop, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < loop->n_timers && timer_less(&loop->heap[l], &loop->heap[m]))
            m = l;
        if (r < loop->n_timers && timer_less(&loop->heap[r], &loop->heap[m]))
            m = r;
        if (m == i)
            break;
        heap_swap(loop, i, m);
        i = m;
    }
}

static void heap_remove_at(struct ev_loop *loop, size_t i)
{
    loop->n_timers--;
    if (i == loop->n_timers)
        return;
    loop->heap[i] = loop->heap[loop->n_timers];
    heap_down(loop, i);
    heap_up(loop, i);
}

int64_t ev_timer_add(struct ev_loop *loop, int64_t delay_ms, ev_timer_cb cb, void *data)
{
    if (loop->n_timers == loop->heap_cap) {
        size_t ncap = loop->heap_cap ? loop->heap_cap * 2 : 16;
        struct timer *n = realloc(loop->heap, ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        loop->heap = n;
        loop->heap_cap = ncap;
    }
    if (delay_ms < 0)
        delay_ms = 0;
    struct timer *t = &loop->heap[loop->n_timers];
    t->when = mono_ms() + delay_ms;
    t->id = ++loop->next_timer_id;
    t->cb = cb;
    t->data = data;
    heap_up(loop, loop->n_timers++);
    return loop->next_timer_id;
}

void ev_timer_cancel(struct ev_loop *loop, int64_t id)
{
    if (id <= 0)
        return;
    for (size_t i = 0; i < loop->n_timers; i++) {
        if (loop->heap[i].id == id) {
            heap_remove_at(loop, i);
            return;
        }
    }
}

static int run_timers(struct ev_loop *loop)
{
    int ran = 0;
    int64_t now = mono_ms();
    /* timers added by a callback with delay 0 run in the next iteration,
     * so a callback re-arming itself cannot starve the fds */
    int64_t last_id = loop->next_timer_id;
    while (loop->n_timers > 0 && loop->heap[0].when <= now && loop->heap[0].id <= last_id) {
        struct timer t = loop->heap[0];
        heap_remove_at(loop, 0);
        t.cb(loop, t.data);
        ran++;
    }
    return ran;
}

/* --- signals --- */

static void on_signalfd(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    (void)events;
    (void)data;
    struct signalfd_siginfo si[8];
    for (;;) {
        ssize_t n = read(fd, si, sizeof(si));
        if (n <= 0)
            return;
        for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
            int signo = (int)si[i].ssi_signo;
            if (signo > 0 && signo < 65 && loop->sig[signo].cb)
                loop->sig[signo].cb(loop, signo, loop->sig[signo].data);
        }
    }
}

int ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb cb, void *data)
{
    if (signo <= 0 || signo >= 65)
        return -EINVAL;
    sigaddset(&loop->sigmask, signo);
    if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0)
        return neg_errno();
    int fd = signalfd(loop->sigfd, &loop->sigmask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return neg_errno();
    if (loop->sigfd < 0) {
        loop->sigfd = fd;
        int r = ev_io_add(loop, fd, EV_READ, on_signalfd, NULL);
        if (r < 0)
            return r;
    }
    loop->sig[signo].cb = cb;
    loop->sig[signo].data = data;
    return 0;
}

/* --- running --- */

void ev_loop_set_before_sleep(struct ev_loop *loop, void (*cb)(struct ev_loop *loop, void *data),
                              void *data)
{
    loop->before_sleep = cb;
    loop->before_sleep_data = data;
}

int ev_loop_run_once(struct ev_loop *loop, int timeout_ms)
{
    struct epoll_event evs[64];
    int ran = 0;

    if (loop->before_sleep)
        loop->before_sleep(loop, loop->before_sleep_data);
    loop->now = mono_ms();
    if (loop->n_timers > 0) {
        int64_t until = loop->heap[0].when - loop->now;
        if (until < 0)
            until = 0;
        if (timeout_ms < 0 || until < timeout_ms)
            timeout_ms = until > 0x7fffffff ? 0x7fffffff : (int)until;
    }
    int n = epoll_wait(loop->epfd, evs, (int)ARRAY_SIZE(evs), timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        return neg_errno();
    }
    loop->now = mono_ms();
    for (int i = 0; i < n; i++) {
        int fd = (int)(uint32_t)evs[i].data.u64;
        uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
        if (fd >= loop->io_cap)
            continue;
        struct io_watch *w = &loop->io[fd];
        if (!w->active || w->gen != gen)
            continue;
        unsigned events = 0;
        if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
            events |= EV_READ;
        if (evs[i].events & EPOLLOUT)
            events |= EV_WRITE;
        if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
            events |= EV_ERROR;
            if (w->events & EV_READ)
                events |= EV_READ;
        }
        events &= (w->events | EV_ERROR);
        if (!events)
            continue;
        w->cb(loop, fd, events, w->data);
        ran++;
    }
    ran += run_timers(loop);
    return ran;
}

int ev_loop_run(struct ev_loop *loop)
{
    loop->stop = 0;
    while (!loop->stop) {
        int r = ev_loop_run_once(loop, -1);
        if (r < 0)
            return r;
    }
    return 0;
}

void ev_loop_stop(struct ev_loop *loop)
{
    loop->stop = 1;
}

int64_t ev_loop_now(const struct ev_loop *loop)
{
    return loop->now;
}
