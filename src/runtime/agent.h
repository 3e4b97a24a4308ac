/* agent.h - HAProxy's agent-check protocol, served by drover-runtime
 * (`--agent [addr:]port`): HAProxy connects, may send a line (its
 * `agent-send`, here an app name), reads one line of words such as
 * "up ready", "drain" or "down #reason", and closes. This is how a balancer
 * learns that a host is draining before it stops, until the daemon serves
 * HTTP /readyz (then `option httpchk` does the same). docs/multi-host.md. */
#pragma once

#include <stddef.h>

/* Longest wait for what HAProxy sends after it connects. */
#define AGENT_READ_MS 200

/* Writes the agent's answer for app (NULL: every app) into out (a line
 * ending in '\n'); ctx is agent_serve's. */
typedef void (*agent_answer_fn)(const char *app, char *out, size_t len, void *ctx);

/* Listens on addr: "9101" (every address, IPv6 and IPv4), "127.0.0.1:9101"
 * or "[::1]:9101" (config/listen_addr.h). Returns a non-blocking
 * listening fd or a negative errno (-EINVAL for a bad address). */
int agent_listen(const char *addr);

/* Answers every connection waiting on listen_fd, one at a time: each is
 * given AGENT_READ_MS to send its line. Returns the number answered. */
int agent_serve(int listen_fd, agent_answer_fn answer, void *ctx);
