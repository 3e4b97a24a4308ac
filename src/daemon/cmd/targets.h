/* targets.h - turning a request's "targets" (names, ids, namespaces, "all")
 * into instances, with the error message the CLI shows when one matches
 * nothing. Nothing is touched when any target fails to resolve. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "daemon/daemon.h"

struct client;

#define TARGETS_MAX 100000
#define TARGET_REGEX_MAX 256      /* characters between the slashes */
#define TARGET_REGEX_COUNT_MAX 16 /* /regex/ targets per request */

/* Resolves req["targets"] (array of strings), each instance once, in id
 * order whatever the repeats, in n log n time. A target is, in PM2's order:
 * "all" (an error when there is no instance), a /regex/ (POSIX extended)
 * matching app names, an app name (numbers too), a namespace, an instance
 * id, or the path of apps' script (relative to req["cwd"], the CLI's
 * directory). On success stores a malloc'd array in *out and returns 0; on
 * failure writes the message into err and returns -ENOENT (a target matches
 * nothing), -EINVAL (a bad regex) or -E2BIG. */
int targets_resolve(struct daemon *d, json_t *req, struct inst ***out, size_t *n, char *err,
                    size_t errlen);

/* targets_resolve, replying with the error (code ENOENT, EINVAL) when it
 * fails. Returns 0 or a negative errno. */
int targets_resolve_or_reply(struct daemon *d, struct client *c, json_t *req, struct inst ***out,
                             size_t *n);
