/* triggers.h - restarts the daemon decides on its own, PM2's `watch`,
 * `cron_restart` and `max_memory_restart`:
 *
 *   watch.c   files changed under the app's cwd (watch: true) or its watch
 *             paths; inotify, one fd for the daemon, no polling; a burst of
 *             changes restarts once, watch_delay after its last event;
 *   cron.c    a cron schedule (config/cron_expr.h), from wall time;
 *   memory.c  an instance's process tree above max_memory_restart, checked
 *             every second while some app has a limit (no timer otherwise).
 *
 * Only instances the user wants running are restarted: a fork instance is
 * restarted, a cluster instance reloaded (trigger_restart_instance). The
 * last trigger of each instance is kept for describe (struct inst).
 *
 * triggers_init installs the registry's app hook (daemon.h), so every way
 * an app appears (start, state.json, re-adoption) or goes away reaches
 * triggers_app_added/removed; a changed config goes through
 * registry_set_app_config, which calls both. */
#pragma once

#include "daemon/daemon.h"

/* Sets up d->triggers and the registry hook. Call before any app is added
 * (before adopt_all). Returns 0 or -ENOMEM. */
int triggers_init(struct daemon *d);

/* Drops every app's triggers, the inotify fd and the timers, and unhooks
 * the registry. Safe when triggers_init failed or was not called. */
void triggers_free(struct daemon *d);

/* Arms the triggers app's config asks for. Idempotent; failures (a watch
 * path missing, inotify limits) are logged and leave the app running. */
void triggers_app_added(struct daemon *d, struct app *app);

/* Disarms app's triggers (before it is freed or its config replaced). */
void triggers_app_removed(struct daemon *d, struct app *app);
