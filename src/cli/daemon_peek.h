/* daemon_peek.h - one quick, quiet question to a daemon that already runs:
 * what a Tab press (shell completion) and `drover doctor` ask. Unlike
 * client_request it never starts a daemon, prints nothing, and gives up
 * after a short timeout, so a stopped or busy daemon cannot hang a shell. */
#pragma once

#include <jansson.h>

#include "cli/cli.h"

/* Sends req (borrowed) to the running daemon of c's home and stores its
 * reply (new reference, an object whose "ok" is true) in *reply, waiting at
 * most timeout_ms in all. Returns 0, -ENOTCONN when no daemon runs,
 * -ETIMEDOUT, -EPROTO for a bad or failed reply, or another negative
 * errno. */
int daemon_peek(const struct cli *c, json_t *req, int timeout_ms, json_t **reply);
