/* client.h - the CLI's connection to the daemon. The daemon is started on
 * first use (like PM2); two CLIs racing to start it end up talking to the
 * same one, because the daemon takes a lock on its home and the loser exits. */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "cli/cli.h"

/* Default wait for a sign of life from the daemon (DROVER_TIMEOUT, in
 * seconds, overrides it): to connect, and between the frames of a reply. */
#define CLIENT_DEFAULT_TIMEOUT_MS 20000

/* Sends req (borrowed; with --silent it gains "quiet": the reply then has
 * no process list; with "targets" it gains "cwd", this CLI's directory,
 * against which targets that are script paths resolve) and stores the reply in *reply (new
 * reference). autostart: start the daemon when none runs. Returns 0, -ENOTCONN when no daemon runs
 * and autostart is off, or a negative errno (message printed): -ETIMEDOUT when the daemon showed no
 * sign of life for the timeout, -EMSGSIZE for a request over the daemon's limit, -EACCES when the
 * daemon belongs to another user. */
int client_request(struct cli *c, json_t *req, int autostart, json_t **reply);

/* Sends req (reference stolen), starting the daemon if needed. Returns the
 * reply when it says ok; otherwise prints the error (one line) and returns
 * NULL. */
json_t *client_call(struct cli *c, json_t *req);

/* drover-runtime and --no-daemon: starts droverd in the foreground of this
 * CLI (a child in its own session, so a ^C to the CLI's group does not
 * reach it; its log on out_fd, or on this CLI's stdout and stderr when
 * out_fd is -1; out_fd stays the caller's) and waits until it serves.
 * Stores its pid in *pid. Returns 0, -EEXIST when a daemon runs already or
 * started meanwhile (nothing started; a note is printed), or a negative
 * errno after printing an error. */
int client_start_foreground_daemon(struct cli *c, int out_fd, pid_t *pid);

/* Waits until no daemon holds the home's lock (after kill/update), at most
 * timeout_ms. Returns 0 or -ETIMEDOUT. */
int client_wait_daemon_exit(const struct cli *c, int timeout_ms);
