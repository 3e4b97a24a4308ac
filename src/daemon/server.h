/* server.h - the daemon's control socket: CLI connections carrying JSON
 * requests ({"cmd": ..., ...}) and replies ({"ok": true, ...} or
 * {"ok": false, "error": "...", "code": "ENOENT"}), framed as in
 * proto/frame.h. A request with "quiet": true gets its reply without the
 * process list ("processes", "apps") that actions append. One request per connection turn; while a
 * request is being served the daemon sends {"progress": true} every SERVER_HEARTBEAT_MS, so a CLI
 * can tell a slow operation from a daemon that stopped answering.
 *
 * Limits: at most SERVER_MAX_CLIENTS connections (the oldest idle one makes
 * room for a new one), SERVER_INPUT_BUDGET bytes of partial requests across
 * all of them, SERVER_IDLE_MS for a connection that sends no complete
 * request, and a paused accept loop while the process is out of fds. A
 * malformed or oversized request gets an error reply and the connection is
 * closed; nothing else is affected. Peers must run as our uid or as root.
 *
 * Ownership: struct client belongs to the server. A handler that received
 * a client must reply exactly once (server_reply*); the client stays valid
 * until then, or until the CLI goes away, which the server reports to the
 * pending operations (ops_client_gone) before freeing it. */
#pragma once

#include <jansson.h>

#include "base/macros.h"
#include "daemon/daemon.h"

#define SERVER_MAX_CLIENTS 1024
#define SERVER_INPUT_BUDGET (32u << 20)
#define SERVER_IDLE_MS 10000
#define SERVER_HEARTBEAT_MS 2000

struct client;

/* Binds daemon.sock (0600) and accepts CLI connections. */
int server_listen(struct daemon *d);

/* Binds daemon.sock again when its file vanished (a wiped run dir); the
 * connected clients are kept. Returns 0 or a negative errno. */
int server_rebind(struct daemon *d);

/* Answers c with reply (reference stolen; "ok": true is added when absent)
 * and readies the client for its next request. c may be NULL (the CLI
 * left). The reply leaves from server_before_sleep, after state.json was
 * written, with a warning when that write failed; a reply too large for the
 * CLI to accept becomes an error reply. */
void server_reply(struct client *c, json_t *reply);

/* The loop's before-sleep work (redis' beforeSleep): when replies were
 * answered in this turn, writes state.json (daemon_persist_flush), then
 * queues those replies. */
void server_before_sleep(struct daemon *d);

/* Sends {"ok": false, "error": <message>, "code": <errno name>}; err is a
 * negative errno (0: no code). */
void server_reply_error_code(struct client *c, int err, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Same with code EINVAL when the request was wrong. */
#define server_reply_error(c, ...) server_reply_error_code((c), -EINVAL, __VA_ARGS__)

/* True while some reply is still queued for a CLI. */
int server_output_pending(const struct daemon *d);

/* Closes the listener and every client (daemon exit). */
void server_close(struct daemon *d);
