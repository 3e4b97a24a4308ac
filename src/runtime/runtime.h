/* runtime.h - drover in the foreground, as a container's entry point (PID
 * 1) or in a terminal, with no detached daemon:
 *
 *   drover-runtime [runtime options] <ecosystem file | script> [start options] [-- args]
 *   drover start <ecosystem file | script>... --no-daemon [runtime options] [start options]
 *
 * Runtime options: --json (logs as JSON lines), --raw (the default),
 * --format (key=value lines), --no-auto-exit, --shutdown-delay <duration>
 * (DROVER_SHUTDOWN_DELAY), --agent [addr:]port (HAProxy agent-check,
 * agent.h), --http [addr:]port (the daemon's HTTP server: /livez, /readyz,
 * /metrics; DROVER_HTTP for our daemon only). Everything else is `drover
 * start`'s. docs/containers.md.
 *
 * It starts droverd as its child, starts the apps, prints their logs on its
 * stdout (app stdout) and stderr (app stderr), and does what PID 1 must:
 * reaps every process that ends up its child, forwards SIGHUP, SIGUSR1 and
 * SIGUSR2 to every app, and on SIGTERM or SIGINT marks every app draining
 * (probes say not ready), waits the shutdown delay, stops the apps (each
 * drained and stopped with its own kill_timeout), stops the daemon and
 * exits 0 (also for a stop signal that came while the apps started). A
 * second signal skips the delay. When every app ended on its own
 * and none will run again, it exits with runtime_exit.h's code (unless
 * --no-auto-exit). A daemon that dies is started again (it re-adopts the
 * apps, which never stopped). */
#pragma once

#include "cli/cli.h"

/* drover-runtime: c->argv holds every argument. Returns the exit code. */
int runtime_main(struct cli *c);

/* True when a `drover start` command line (c->argv) asks for --no-daemon. */
int runtime_no_daemon_wanted(const struct cli *c);

/* `drover start ... --no-daemon`: the runtime with c's arguments. Returns
 * the exit code. */
int runtime_start_no_daemon(struct cli *c);
