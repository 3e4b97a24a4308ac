/* reload.h - zero-downtime rolling reload.
 *
 * For each instance (parallel at a time): start a replacement supervisor
 * (next generation, same id, same sockets); when it reports online — for a
 * cluster app that means its app listen()ed on the shared socket, or sent
 * READY=1 / process.send('ready') — it becomes the instance's supervisor
 * and the old one is told to delete itself (stop signal, kill_timeout, then
 * SIGKILL of its tree); the next instance starts once the old one is gone.
 * If a replacement exits, errors or misses listen_timeout, the reload
 * stops: the replacement is removed, every not-yet-replaced instance keeps
 * serving, and the CLI gets a non-zero answer saying why.
 *
 * Instances of apps whose sockets the daemon does not hold (plain fork
 * apps) have nothing to hand over; they are restarted, as PM2 does. */
#pragma once

#include <stddef.h>

#include "daemon/daemon.h"

struct client;

#define RELOAD_MAX_PARALLEL 64

/* Starts reloading insts (in the given order) and replies to c when done.
 * parallel: replacements in flight at once (>= 1). */
void reload_instances(struct daemon *d, struct client *c, struct inst **insts, size_t n,
                      int parallel);

/* Re-checks running reloads; called whenever a supervisor reports. */
void reload_poll(struct daemon *d);

/* The CLI went away: running reloads go on without replying. */
void reload_client_gone(struct daemon *d, struct client *c);

/* Frees running reloads without replying (daemon exit). */
void reload_free_all(struct daemon *d);
