/* apply.h - what "apply" (ecosystem files, cmd_apply.c) and "resurrect"
 * (the dump, cmd_dump.c) share: creating an app with its instances, and a
 * growable list of instances to wait for. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "daemon/daemon.h"

/* Instances collected by a command (pointers into the registry; valid until
 * the loop runs again). */
struct inst_list {
    struct inst **items;
    size_t n, cap;
};

/* Appends inst. Returns 0 or -ENOMEM. */
int inst_list_push(struct inst_list *l, struct inst *inst);

/* Frees the array (not the instances). */
void inst_list_free(struct inst_list *l);

/* Instances a normalized config asks for: N, 0 = usable CPUs, -1 = usable
 * CPUs - 1 (at least 1). */
int apply_instance_count(const json_t *config);

/* Registers app `name` with a normalized config (borrowed) and base_env
 * (borrowed, may be NULL), binds its listening sockets and creates `count`
 * instances with slots 0..count-1. Slot s starts when start[s] is set
 * (start NULL: the config's autostart). Created instances are appended to
 * created; instances that failed add a message to warnings. Returns the app,
 * or NULL with err set when nothing could be created (nothing stays
 * registered then). */
struct app *apply_create_app(struct daemon *d, const char *name, json_t *config, json_t *base_env,
                             int count, const int *start, struct inst_list *created,
                             json_t *warnings, char *err, size_t errlen);

/* The longest listen_timeout + kill_timeout of the apps of insts, in ms:
 * how long a start or restart of them may take. */
int64_t apply_settle_timeout(struct inst **insts, size_t n);
