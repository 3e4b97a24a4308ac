/* dashboard.h - the daemon's web dashboard, served by its HTTP server
 * (http.h) when it serves:
 *
 *   GET  /                         the page (assets/: HTML, CSS, JS, no
 *                                  inline script: Content-Security-Policy
 *                                  default-src 'self')
 *   GET  /dashboard.js, /dashboard.css
 *   GET  /events                   Server-Sent Events: a "snapshot" event
 *                                  (the `ls` columns of every instance) at
 *                                  once, then every DASH_TICK_MS while at
 *                                  least one stream is open (no timer runs
 *                                  when nobody watches)
 *   GET  /api/state                that snapshot once
 *   GET  /api/apps/<app>           describe of the app's instances    [token]
 *   GET  /api/apps/<app>/logs      the last lines of its log files    [token]
 *   POST /api/apps/<app>/<action>  restart, reload, stop, start, or scale
 *                                  with {"delta": N}: 202 once the command
 *                                  is under way (the same handlers as the
 *                                  CLI's, commands.h), 404 for an unknown
 *                                  app, 409 for a scale out of range  [token]
 *
 * [token]: the request must carry "Authorization: Bearer <token>", else
 * 401 and nothing is done or shown. The token is 32 random bytes in hex,
 * made when the daemon starts serving HTTP and kept for its life, in
 * <home>/dashboard.token (0600); `drover dashboard` prints the URL with it
 * in the fragment (#token=...), which browsers never send. What needs no
 * token is what /metrics shows. */
#pragma once

#include <stddef.h>

#include "daemon/daemon.h"
#include "daemon/http/http_server.h"

#define DASH_TICK_MS 1000
#define DASH_TOKEN_BYTES 32
#define DASH_TOKEN_FILE "dashboard.token"
#define DASH_STREAM_SNAPSHOTS 1 /* http_server stream kind of /events */

/* Makes the token and writes it to <home>/dashboard.token (d->dash), unless
 * done already. Returns 0 or a negative errno (nothing is kept). */
int dashboard_init(struct daemon *d);

/* Stops the snapshot timer and frees d->dash (NULL: nothing). */
void dashboard_free(struct daemon *d);

/* True when path is one of the dashboard's (above). */
int dashboard_owns(const char *path);

/* An http_handler_fn for the dashboard's paths (dashboard_owns). */
int dashboard_handle(struct daemon *d, const struct http_request *req, struct http_response *resp);

/* Writes the dashboard's URL with its token ("http://127.0.0.1:9615/#token=
 * ...") into out; an address of every interface is shown as loopback.
 * Returns 0, -ENOTCONN when not serving, or another negative errno. */
int dashboard_url(const struct daemon *d, char *out, size_t len);
