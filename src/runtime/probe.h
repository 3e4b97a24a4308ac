/* probe.h - one liveness or readiness check against the daemon of a home
 * (readiness.h has the rule): what `drover probe` prints and what
 * drover-runtime's agent answers. Never starts a daemon. */
#pragma once

#include "cli/cli.h"
#include "runtime/readiness.h"

/* Asks the daemon for its process list (waiting at most c->timeout_ms, else
 * DROVER_TIMEOUT) and evaluates kind for app (NULL: every app), counting
 * drain marks when with_marks. Writes a one-line reason. Returns 0
 * (passes), 1 (fails: the reason says why, including "no daemon running"),
 * -ENOENT when app names no app. */
int probe_check(struct cli *c, const char *app, enum probe_kind kind, int with_marks, char *reason,
                size_t len);
