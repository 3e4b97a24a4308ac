/* server.h - the daemon's control socket: CLI connections carrying JSON
 * requests ({"cmd": ..., ...}) and replies ({"ok": true, ...} or
 * {"ok": false, "error": "..."}), framed as in proto/frame.h. A malformed
 * or oversized request gets an error reply and the connection is closed;
 * nothing else is affected. Peers must run as our uid or as root. */
#pragma once

#include <jansson.h>

#include "base/macros.h"
#include "daemon/daemon.h"

struct client;

/* Binds daemon.sock (0600) and accepts CLI connections. */
int server_listen(struct daemon *d);

/* Sends reply (reference stolen; "ok": true is added when absent) and
 * readies the client for its next request. c may be NULL (the CLI left). */
void server_reply(struct client *c, json_t *reply);

/* Sends {"ok": false, "error": <message>}. */
void server_reply_error(struct client *c, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* True while some reply is still queued for a CLI. */
int server_output_pending(const struct daemon *d);

/* Closes the listener and every client (daemon exit). */
void server_close(struct daemon *d);
