/* targets.h - turning a request's "targets" (names, ids, namespaces, "all")
 * into instances, with the error message the CLI shows when one matches
 * nothing. Nothing is touched when any target fails to resolve. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "daemon/daemon.h"

struct client;

#define TARGETS_MAX 100000

/* Resolves req["targets"] (array of strings: "all", an id, an app name or a
 * namespace) in linear time, each instance once, in id order whatever the
 * repeats. On success stores a malloc'd array in *out (may be empty for
 * "all" on an empty registry) and returns 0; on failure writes the message
 * into err and returns -ENOENT (a target matches nothing), -EINVAL or
 * -E2BIG. */
int targets_resolve(struct daemon *d, json_t *req, struct inst ***out, size_t *n, char *err,
                    size_t errlen);

/* targets_resolve, replying with the error (code ENOENT, EINVAL) when it
 * fails. Returns 0 or a negative errno. */
int targets_resolve_or_reply(struct daemon *d, struct client *c, json_t *req, struct inst ***out,
                             size_t *n);
