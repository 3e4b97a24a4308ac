/* readiness.h - liveness and readiness of apps, computed from the process
 * list the daemon gives (`list`: one object per instance). One rule for
 * every consumer: `drover probe`, drover-runtime's HAProxy agent, and the
 * daemon's /livez and /readyz (daemon/http/probes.h, on the registry).
 *
 *   live   the daemon answered and no app in scope has every instance
 *          errored (drover gave up on it: restarting the container helps)
 *   ready  live, the app is not draining (drain_flag.h), and at least one
 *          instance of each app in scope that should run is online, ready
 *          and - for an app expected to serve (`listen`, `port`/`PORT`, or
 *          an instance seen serving) - serving. Apps stopped on purpose do
 *          not hold readiness back unless named; no app at all is not ready.
 *
 * Pure: no I/O but through the is_draining callback. */
#pragma once

#include <jansson.h>
#include <stddef.h>

enum probe_kind { PROBE_LIVE, PROBE_READY };

/* Tells whether app is draining; ctx is readiness_eval's. */
typedef int (*readiness_draining_fn)(const char *app, void *ctx);

/* Evaluates kind for app (NULL: every app) over processes (a borrowed JSON
 * array of instances with name, status, ready, serving, mode and config).
 * Writes a one-line reason (why it passes or fails) into reason. Returns 0
 * when the probe passes, 1 when it fails, -ENOENT when app names no app. */
int readiness_eval(json_t *processes, const char *app, enum probe_kind kind,
                   readiness_draining_fn is_draining, void *ctx, char *reason, size_t len);
