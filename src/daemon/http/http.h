/* http.h - the daemon's HTTP endpoints, served when the daemon's
 * environment has DROVER_HTTP=<address> ("127.0.0.1:9615", "[::1]:9615",
 * or a bare port, which means 127.0.0.1; any other address only when
 * written out, "0.0.0.0:9615" included):
 *
 *   GET /livez          200 "ok" while the daemon's loop runs (probes.h)
 *   GET /readyz         200 or 503 with a one-line reason (probes.h)
 *   GET /readyz/<app>   the same for one app, 404 for an unknown one
 *   GET /metrics        Prometheus text format 0.0.4 (metrics.h)
 *   /, /events, /api/   the dashboard (dashboard.h): its page, its live
 *                       stream, and actions that need its token
 *
 * HEAD too; POST only to the dashboard's actions (405 elsewhere), other
 * paths 404. The server is http_server.h (bounded, on the daemon's loop). */
#pragma once

#include "daemon/daemon.h"

/* Reads DROVER_HTTP and starts serving on it (d->http). Unset or empty:
 * nothing. It is the boundary for its errors: a bad value or an address
 * that cannot be bound is logged once, and the daemon runs without HTTP. */
void http_start_from_env(struct daemon *d);

/* Starts serving on text (an address as DROVER_HTTP's) unless the daemon
 * serves already; origin names where text came from in the log line. It is
 * the boundary for its errors (logged once). Returns 0 or a negative errno
 * (-EINVAL: not an address). */
int http_start_at(struct daemon *d, const char *text, const char *origin);

/* Stops serving and frees d->http and the dashboard (NULL: nothing). */
void http_stop(struct daemon *d);
