/* trigger.h - what the trigger files (watch.c, cron.c, memory.c) share:
 * the per-app and daemon-wide state, and how a trigger restarts. Internal
 * to src/daemon/triggers/; the rest of the daemon uses triggers.h. */
#pragma once

#include "daemon/daemon.h"

struct app_watch;
struct app_cron;
struct watch_set;

/* One app's armed triggers (app->triggers), owned by triggers.c. */
struct app_triggers {
    struct app_watch *watch; /* NULL: no watch */
    struct app_cron *cron;   /* NULL: no cron_restart */
};

/* The daemon's (d->triggers), owned by triggers.c. */
struct triggers {
    struct watch_set *watch; /* NULL until an app watches */
    int64_t memory_timer;    /* 0 when no app has max_memory_restart */
};

/* Restarts inst because of why (kept for describe, e.g. "cron_restart
 * 0 3 * * *"): a fork instance is restarted, a cluster instance reloaded
 * (ops/ops.h). Does nothing for an instance that should not run, is being
 * replaced already, or while the daemon shuts down. Failures are logged. */
void trigger_restart_instance(struct daemon *d, struct inst *inst, const char *why);

/* trigger_restart_instance for every instance of app; a cluster app gets
 * one rolling reload over all of them. */
void trigger_restart_app(struct daemon *d, struct app *app, const char *why);

/* watch.c: arms a watch when app's config has `watch`; *out stays NULL
 * otherwise. Returns 0 or a negative errno (logged by the caller). */
int watch_app_add(struct daemon *d, struct app *app, struct app_watch **out);
/* Removes aw's inotify watches and its pending restart, frees aw. */
void watch_app_remove(struct daemon *d, struct app_watch *aw);
/* Closes the inotify fd and frees the daemon-wide watch state. */
void watch_set_free(struct daemon *d);

/* cron.c: arms app's cron_restart timer; *out stays NULL without one. */
int cron_app_add(struct daemon *d, struct app *app, struct app_cron **out);
/* Cancels the timer and frees ac. */
void cron_app_remove(struct daemon *d, struct app_cron *ac);

/* memory.c: starts the once-a-second check if app has max_memory_restart
 * and it is not running yet; it stops by itself when no app has a limit. */
void memory_app_added(struct daemon *d, struct app *app);
/* Cancels the check (daemon exit). */
void memory_stop(struct daemon *d);
