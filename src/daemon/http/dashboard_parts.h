/* dashboard_parts.h - the pieces of the dashboard (dashboard.h), each in
 * its own file: the embedded assets (generated at build time from assets/
 * by scripts/embed_assets.py), the actions, the log tail. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "base/strbuf.h"
#include "daemon/daemon.h"
#include "daemon/http/http_server.h"

struct dash_asset {
    const char *path;         /* "/dashboard.js" */
    const char *content_type; /* "text/javascript; charset=utf-8" */
    const unsigned char *data;
    size_t len;
};

/* The embedded files (dashboard_assets.c, generated). */
extern const struct dash_asset dash_assets[];
extern const size_t dash_assets_len;

#define DASH_JSON_TYPE "application/json"

/* Puts o (stolen; NULL: out of memory) as resp's JSON body with status.
 * Returns 0 or a negative errno. */
int dash_answer_json(struct http_response *resp, int status, json_t *o);

/* Runs action (restart, reload, stop, start, scale) on app, with body the
 * request's JSON ({"delta": N} for scale; may be empty otherwise). Fills
 * resp (JSON) with the status: 202 once under way, 400, 404, 409. Returns 0
 * or a negative errno. */
int dash_action(struct daemon *d, const char *app, const char *action, const char *body,
                size_t body_len, struct http_response *resp);

#define DASH_LOG_LINES 60               /* per file */
#define DASH_LOG_FILE_BYTES (24u << 10) /* per file, the newest */
#define DASH_LOG_FILES 8

/* {"app": name, "files": [{"id", "stream", "path", "lines": [...]}]}: the
 * last lines of the out and err logs of app's instances, each distinct
 * file once (read through safepath.h). Unreadable files have "error". A
 * new reference, or NULL when out of memory. */
json_t *dash_log_tail(const struct daemon *d, const struct app *app);
