/* sup.h - the supervisor process as a whole: one per app instance.
 *
 * drover-sup owns its app's process tree, the app's stdin/stdout/stderr
 * pipes and log files, and its copies of the listening sockets. It keeps running, and
 * keeps restarting its app, when the daemon dies; a new daemon re-adopts it
 * through its control socket. See docs/architecture.md. */
#pragma once

#include "logs/logger.h"
#include "proto/spec.h"
#include "sup/app_stdin.h"
#include "sup/drain.h"
#include "sup/instance.h"

struct conn_stats;
struct lc_counts;

struct conn;
struct logger;
struct kv_msg;
struct node_ipc;
struct strbuf;

#define SUP_MAX_CONNS 8
#define SUP_MAX_LISTEN_FDS SPEC_MAX_LISTEN_FDS
#define SUP_MAX_ASKS 32

struct sup;

/* Called with the daemon's answer to control_ask (NULL when no daemon
 * answered); the callback owns fds. */
typedef void (*control_answer_cb)(struct sup *s, const struct kv_msg *answer, int *fds,
                                  unsigned n_fds, void *data);

struct sup_ask {
    uint64_t id;
    control_answer_cb cb;
    void *data;
};

struct sup {
    struct ev_loop *loop;
    struct inst_spec spec;
    struct log_config log; /* from the spec's log_* fields */
    struct instance inst;
    struct logger *logger;
    struct app_stdin app_in; /* the app's stdin (drover send) */
    int ctl_listen_fd;
    struct conn *conns[SUP_MAX_CONNS];
    int listen_fds[SUP_MAX_LISTEN_FDS];
    int n_listen_fds;
    char listen_fdnames[1024]; /* LISTEN_FDNAMES for the next run */
    int exiting;
    /* readiness and socket sharing (notify.h, broker.h, node_ipc.h) */
    int notify_fd;
    char notify_name[108];
    int notify_bound_path; /* notify_name is a file to remove */
    char notify_status[200];
    int broker_fd;
    char broker_name[64];
    /* the shim's connection counters (proto/conn_stats.h); -1/NULL when
     * the app has no shim */
    int conn_stats_fd;
    struct conn_stats *conn_stats;
    /* balancing least_conn (proto/least_conn.h): the counts map from the
     * daemon and the run whose count the cell holds; -1/NULL: none */
    int lc_fd;
    struct lc_counts *lc;
    pid_t lc_pid;
    struct node_ipc *ipc;
    struct drain drain; /* drainable processes, the drain under way (drain.h) */
    /* questions to the daemon awaiting an answer */
    struct sup_ask asks[SUP_MAX_ASKS];
    uint64_t next_ask;
};

/* Adds a listening socket (taking fd) to those every later run inherits.
 * Returns 0 or -E2BIG. */
int sup_add_listen_fd(struct sup *s, int fd);

/* Replaces every listening socket held by fds[0..n) (taken; closed past
 * SUP_MAX_LISTEN_FDS); n 0 drops them all (the app was stopped). */
void sup_set_listen_fds(struct sup *s, int *fds, unsigned n);

/* Sends a question (payload without the ask id) to a connected daemon; cb
 * gets the answer. Returns 0, or -ENOTCONN when no daemon is connected. */
int control_ask(struct sup *s, struct strbuf *payload, control_answer_cb cb, void *data);

/* Binds the control socket at spec.sock_path (0600) and starts accepting
 * daemon connections. */
int control_listen(struct sup *s);

/* Binds the control socket again (its file or directory was removed, e.g.
 * a wiped $XDG_RUNTIME_DIR): on SIGUSR2 and on the daemon's "rebind".
 * Returns 0 or a negative errno (logged). */
int control_rebind(struct sup *s);

/* Serves fd (already connected to a daemon, e.g. the spawn socketpair) as a
 * control connection. Returns 0 or a negative errno. */
int control_serve_fd(struct sup *s, int fd);

/* Sends the current state to every connected daemon ("event=state"). */
void control_broadcast_state(struct sup *s);

/* Tells connected daemons the supervisor is exiting, flushes, and stops the
 * loop once the messages are out (or after a short grace period). */
void control_shutdown(struct sup *s, const char *why);
