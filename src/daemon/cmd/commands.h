/* commands.h - the daemon's request handlers, one per CLI verb. Each gets
 * the request object and either replies at once (server_reply) or starts
 * an operation (ops.h) that replies when the instances got there. */
#pragma once

#include <jansson.h>

#include "daemon/daemon.h"

struct client;

typedef void (*command_fn)(struct daemon *d, struct client *c, json_t *req);

/* Finds the handler for a "cmd" value, or NULL. */
command_fn command_lookup(const char *name);

/* Handlers (cmd_*.c). */
void cmd_ping(struct daemon *d, struct client *c, json_t *req);
void cmd_list(struct daemon *d, struct client *c, json_t *req);
void cmd_describe(struct daemon *d, struct client *c, json_t *req);
void cmd_start(struct daemon *d, struct client *c, json_t *req);
void cmd_stop(struct daemon *d, struct client *c, json_t *req);
void cmd_restart(struct daemon *d, struct client *c, json_t *req);
void cmd_delete(struct daemon *d, struct client *c, json_t *req);
void cmd_reset(struct daemon *d, struct client *c, json_t *req);
void cmd_signal(struct daemon *d, struct client *c, json_t *req);
void cmd_kill(struct daemon *d, struct client *c, json_t *req);
void cmd_update(struct daemon *d, struct client *c, json_t *req);
void cmd_reload_logs(struct daemon *d, struct client *c, json_t *req);
void cmd_flush(struct daemon *d, struct client *c, json_t *req);
void cmd_reload(struct daemon *d, struct client *c, json_t *req);
void cmd_scale(struct daemon *d, struct client *c, json_t *req);
void cmd_apply(struct daemon *d, struct client *c, json_t *req);
void cmd_save(struct daemon *d, struct client *c, json_t *req);
void cmd_resurrect(struct daemon *d, struct client *c, json_t *req);
void cmd_cleardump(struct daemon *d, struct client *c, json_t *req);
void cmd_send(struct daemon *d, struct client *c, json_t *req);
void cmd_env(struct daemon *d, struct client *c, json_t *req);
/* dashboard (cmd_dashboard.c): {"address": "127.0.0.1:9615"} -> {"url": the
 * dashboard's URL with its token, "started": whether HTTP was started now};
 * the address is used only when the daemon does not serve HTTP yet. */
void cmd_dashboard(struct daemon *d, struct client *c, json_t *req);
