/* probes.h - /livez and /readyz of the daemon's HTTP server: the HTTP
 * status and a one-line reason, computed from the registry as it is now.
 *
 * One rule with `drover probe` (runtime/readiness.h):
 *   live    the daemon's loop runs and no app that should run has every
 *           instance wanted running errored (drover gave up on it)
 *   ready   every app that should run (an instance of it is wanted
 *           running) has one instance wanted running online, ready and,
 *           for an app expected to serve (app_expects_serving), serving;
 *           no such app is marked draining (runtime/drain_flag.h); and
 *           there is at least one app. Apps stopped on purpose do not hold
 *           readiness back, unless named: /readyz/<app> of a stopped app
 *           is not ready, of an unknown app is 404.
 *
 * The reason names the first app that is not ready (by instance id), e.g.
 * "web: instance 3 is launching", "web is draining", "web is stopped". */
#pragma once

#include "base/strbuf.h"
#include "daemon/daemon.h"

/* Writes "ok\n" into body and returns 200, or the errored app and 503
 * (or a negative errno: body could not be written). */
int probes_live(const struct daemon *d, struct strbuf *body);

/* Judges every app (app NULL) or the app named app, writing the reason
 * and a newline into body. Returns 200 (ready), 503 (not ready), 404 (app
 * names no app) or a negative errno (body could not be written). Uses the
 * registry's mark epoch (one pass). */
int probes_ready(struct daemon *d, const char *app, struct strbuf *body);
