/* sup.h - the supervisor process as a whole: one per app instance.
 *
 * drover-sup owns its app's process tree, the app's stdout/stderr pipes and
 * log files, and its copies of the listening sockets. It keeps running, and
 * keeps restarting its app, when the daemon dies; a new daemon re-adopts it
 * through its control socket. See docs/architecture.md. */
#pragma once

#include "sup/instance.h"
#include "sup/spec.h"

struct conn;
struct logger;

#define SUP_MAX_CONNS 8

struct sup {
    struct ev_loop *loop;
    struct sup_spec spec;
    struct instance inst;
    struct logger *logger;
    int ctl_listen_fd;
    struct conn *conns[SUP_MAX_CONNS];
    int listen_fds[16];
    int n_listen_fds;
    int exiting;
};

/* Binds the control socket at spec.sock_path (0600) and starts accepting
 * daemon connections. */
int control_listen(struct sup *s);

/* Serves fd (already connected to a daemon, e.g. the spawn socketpair) as a
 * control connection. Returns 0 or a negative errno. */
int control_serve_fd(struct sup *s, int fd);

/* Sends the current state to every connected daemon ("event=state"). */
void control_broadcast_state(struct sup *s);

/* Tells connected daemons the supervisor is exiting, flushes, and stops the
 * loop once the messages are out (or after a short grace period). */
void control_shutdown(struct sup *s, const char *why);
