/* loop.h - drover's event loop: epoll for fds, a min-heap of timers driving
 * the epoll timeout, and a signalfd for signals. One loop per process, single
 * threaded; every callback runs on the loop and must not block.
 *
 * Lifetimes: a callback may add or remove any watcher, including its own; a
 * removed watcher is never called again, even for events already collected
 * in the same epoll batch. */
#pragma once

#include <stdint.h>

struct ev_loop;

enum { EV_READ = 1u << 0, EV_WRITE = 1u << 1, EV_ERROR = 1u << 2 /* reported only */ };

typedef void (*ev_io_cb)(struct ev_loop *loop, int fd, unsigned events, void *data);
typedef void (*ev_timer_cb)(struct ev_loop *loop, void *data);
typedef void (*ev_signal_cb)(struct ev_loop *loop, int signo, void *data);

/* Creates a loop. Returns NULL on failure (errno set). */
struct ev_loop *ev_loop_new(void);

/* Frees the loop. The fds it watched are not closed (their owners close
 * them); its signalfd is closed and its signals stay blocked. */
void ev_loop_free(struct ev_loop *loop);

/* Watches fd for EV_READ and/or EV_WRITE (level-triggered). Hang-ups and
 * errors are reported as EV_ERROR together with EV_READ. Returns 0,
 * -EEXIST if fd is already watched, or a negative errno. */
int ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *data);

/* Changes the events watched on fd. 0 pauses it without removing it; a
 * paused watcher is still called with EV_ERROR on hang-up or error, and must
 * then remove itself or the loop will spin. */
int ev_io_mod(struct ev_loop *loop, int fd, unsigned events);

/* Stops watching fd. Call before closing it. Unknown fds are ignored. */
void ev_io_del(struct ev_loop *loop, int fd);

/* Stops watching *fd, closes it and sets *fd to -1. Nothing when *fd < 0. */
void ev_io_close(struct ev_loop *loop, int *fd);

/* Calls cb once after delay_ms (>= 0). Returns a timer id (> 0) for
 * ev_timer_cancel, or a negative errno. */
int64_t ev_timer_add(struct ev_loop *loop, int64_t delay_ms, ev_timer_cb cb, void *data);

/* Cancels a pending timer. Ids of timers that already fired, or 0, are
 * ignored, so owners may keep stale ids. */
void ev_timer_cancel(struct ev_loop *loop, int64_t id);

/* Delivers signo through the loop (the signal is blocked for the process and
 * read from a signalfd). One handler per signal. */
int ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb cb, void *data);

/* Calls cb once per iteration, after the callbacks of the iteration ran and
 * before the loop waits again (redis' beforeSleep): the place to write what
 * must be on disk before queued replies go out. NULL removes it. */
void ev_loop_set_before_sleep(struct ev_loop *loop, void (*cb)(struct ev_loop *loop, void *data),
                              void *data);

/* Runs until ev_loop_stop is called. Returns 0, or a negative errno if
 * epoll_wait failed for a reason other than EINTR. */
int ev_loop_run(struct ev_loop *loop);

/* Runs one iteration, waiting at most timeout_ms (-1: until an event or the
 * next timer). Returns the number of callbacks run, or a negative errno. */
int ev_loop_run_once(struct ev_loop *loop, int timeout_ms);

/* Makes ev_loop_run return after the current iteration. */
void ev_loop_stop(struct ev_loop *loop);

/* Monotonic time in ms as seen by the loop at the start of this iteration. */
int64_t ev_loop_now(const struct ev_loop *loop);
