/* apps.h - creating apps, shared by start/apply (cmd_apps.c) and resurrect
 * (cmd_dump.c). */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "daemon/daemon.h"

struct op;

/* Instances a config asks for: N, 0 = usable CPUs, -N = usable CPUs - N
 * (at least 1). */
int apps_instance_count(const struct app_config *cfg);

/* True when an instance of app has this slot. */
int apps_slot_taken(const struct daemon *d, const struct app *app, int slot);

/* Adds `add` running instances to a known app in its free slots (scale up,
 * `start -f` of an app that runs): the config's instance count follows,
 * its sockets are bound for them, and each new instance gets a SETTLE task
 * in op. Returns 0, or a negative errno with err set (nothing added:
 * -ERANGE above max_instances, -EADDRINUSE). */
int apps_add_instances(struct daemon *d, struct app *app, int add, struct op *op, char *err,
                       size_t errlen);

/* Registers app `name` with a normalized config (borrowed) and base_env
 * (borrowed, may be NULL), binds its listening sockets and creates its
 * instances with slots 0..count-1. Slot s starts when start[s] is set
 * (start NULL: the config's autostart). Each created instance gets a
 * SETTLE task in op (may be NULL); instances that failed add a message to
 * warnings. Returns the app, or NULL with err set when nothing could be
 * created (nothing stays registered then). The caller checked the name
 * (registry_check_new_app). */
struct app *apps_create(struct daemon *d, const char *name, json_t *config, json_t *base_env,
                        const int *start, struct op *op, json_t *warnings, char *err,
                        size_t errlen);
