/* registry.h - the apps and instances the daemon knows, and target lookup.
 *
 * Ownership: the registry owns every app and inst; removing one frees it
 * (the caller must have dropped its supervisor link first). The optional
 * app hook (struct registry) hears of every app added or removed. Instance ids
 * come from next_id, which starts over at 0 when the list becomes empty (as
 * in PM2, whose users write `restart 0`); supervisor generations never
 * repeat (gen_floor), so a reused id never meets its old supervisor. */
#pragma once

#include <stddef.h>

#include "daemon/daemon.h"

/* Adds an app (takes ownership of config, a normalized object: app->cfg is
 * loaded from it). Returns NULL on allocation failure or when the name is
 * taken (config is then released). */
struct app *registry_add_app(struct registry *r, const char *name, json_t *config,
                             int64_t created_at);

/* Checks that an app called name in namespace ns may be added: a valid
 * name (app_name_check), not taken, not the name of a namespace in use (nor
 * "default"), and ns not the name of another app, so that a target means one
 * thing. Returns 0, or -EINVAL / -EEXIST with the reason in err. */
int registry_check_new_app(const struct registry *r, const char *name, const char *ns, char *err,
                           size_t errlen);

/* Finds an app by name (binary search). */
struct app *registry_find_app(const struct registry *r, const char *name);

/* The position of app (a registered one) in r->by_name. */
size_t registry_app_pos(const struct registry *r, const struct app *app);

/* Replaces app's config (takes ownership of config, a normalized object;
 * releases the old one). Use this rather than assigning app->cfg: the app
 * hook sees the app removed then added again, so restart triggers follow
 * the new config. */
void registry_set_app_config(struct registry *r, struct app *app, json_t *config);

/* Renames app (the caller checked the name with registry_check_new_app
 * and puts it in the config too). Returns 0 or -ENOMEM (nothing changed). */
int registry_rename_app(struct registry *r, struct app *app, const char *name);

/* Removes and frees an app that has no instances left. */
void registry_remove_app(struct registry *r, struct app *app);

/* Adds an instance of app. id < 0 allocates the next id; a given id (when
 * re-adopting) raises next_id past it. Returns NULL if the id is taken. */
struct inst *registry_add_inst(struct registry *r, struct app *app, int64_t id);

/* Finds an instance by id. */
struct inst *registry_find_inst(const struct registry *r, int64_t id);

/* Removes and frees an instance. */
void registry_remove_inst(struct registry *r, struct inst *inst);

/* Frees everything. */
void registry_free(struct registry *r);
