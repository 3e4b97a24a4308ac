/* sampler.h - where `drover monit` gets its figures: a brief `list` request
 * (daemon/cmd/cmd_info.c: CPU, memory, restarts, status of every instance)
 * every SAMPLER_INTERVAL_MS on one kept connection to the daemon, sent from
 * the event loop and never waited for. At most one request is in flight, so
 * a busy daemon is never sent a second one, and a slow or absent daemon
 * leaves the screen as it was with a note (sampler_problem). When the daemon
 * keeps a history or a sampler of its own, this is the one place to ask it
 * instead.
 *
 * Ownership: the sampler is the caller's (sampler_free); the processes
 * array given to the callback is borrowed for the call. */
#pragma once

#include <jansson.h>
#include <stddef.h>

struct ev_loop;
struct sampler;

#define SAMPLER_INTERVAL_MS 1000
/* A reply later than this makes the daemon "not answering". */
#define SAMPLER_SLOW_MS 3000

/* Called with each reply's processes, and with NULL when a request could
 * not be made or is late (the problem text changed: redraw). */
typedef void (*sampler_cb)(json_t *processes, void *data);

/* Starts sampling the daemon at daemon_sock (borrowed, must outlive the
 * sampler): the first request goes out after SAMPLER_INTERVAL_MS. Returns
 * NULL when out of memory. */
struct sampler *sampler_new(struct ev_loop *loop, const char *daemon_sock, sampler_cb cb,
                            void *data);

/* Asks again now (after an action), unless a request is in flight. */
void sampler_poke(struct sampler *s);

/* What keeps figures from coming, as one line in buf (len bytes), or NULL
 * while replies come in time. */
const char *sampler_problem(const struct sampler *s, char *buf, size_t len);

/* Closes the connection, cancels the timer, frees s (NULL: nothing). */
void sampler_free(struct sampler *s);
