/* node_ipc.h - Node's IPC channel, offered to node apps the way Node's own
 * child_process does: a socketpair end as NODE_CHANNEL_FD with
 * NODE_CHANNEL_SERIALIZATION_MODE=json, i.e. one JSON value per line.
 *
 * From the app: process.send('ready') marks it ready (wait_ready), and
 * process.send({type: 'process:msg', data}) messages are kept (the last few,
 * each bounded) for `describe`. To the app: "shutdown" before the stop
 * signal (shutdown_with_message). The channel ends at this supervisor, not
 * the daemon, so the daemon going away never breaks it. */
#pragma once

#include <stddef.h>

struct ev_loop;
struct node_ipc;

#define NODE_IPC_KEEP 5         /* messages kept for describe */
#define NODE_IPC_MSG_MAX 512    /* bytes kept per message */
#define NODE_IPC_LINE_MAX 65536 /* longer lines are dropped */

struct node_ipc_handlers {
    void (*on_ready)(void *data);
    void (*on_message)(void *data, const char *json); /* a process:msg, verbatim */
};

/* Creates the channel manager (no socket yet). */
struct node_ipc *node_ipc_new(struct ev_loop *loop, const struct node_ipc_handlers *h, void *data);

/* Opens a fresh channel for a new run. Returns the child's end (to place in
 * the child and close after spawning) or a negative errno. */
int node_ipc_open(struct node_ipc *ipc);

/* Closes the current run's channel. */
void node_ipc_close(struct node_ipc *ipc);

/* Sends one JSON value (a line is appended). Returns 0 or a negative errno
 * (-ENOTCONN without a channel). Never blocks. */
int node_ipc_send(struct node_ipc *ipc, const char *json);

/* The kept messages, oldest first; returns the count. */
size_t node_ipc_messages(const struct node_ipc *ipc, const char **out, size_t max);

void node_ipc_free(struct node_ipc *ipc);
