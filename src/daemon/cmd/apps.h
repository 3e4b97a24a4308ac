/* apps.h - creating apps, shared by start/apply (cmd_apps.c) and resurrect
 * (cmd_dump.c). */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "daemon/daemon.h"

struct op;

/* Instances a config asks for: N, 0 = usable CPUs, -1 = usable CPUs - 1
 * (at least 1). */
int apps_instance_count(const struct app_config *cfg);

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
