/* app_metrics.h - GET /metrics/app/<name>: the app's own metrics from
 * every instance, merged (prom_merge.h).
 *
 * An app with `metrics_port` serves its metrics in each instance on
 * 127.0.0.1:<metrics_port + instance number> (METRICS_PORT in its
 * environment; the shim never shares that port). The daemon scrapes every
 * running instance at once, on its own loop (non-blocking connects, one
 * HTTP/1.0 GET of `metrics_path` each), and answers when all have answered
 * or APP_METRICS_TIMEOUT_MS has passed (the HTTP request is deferred,
 * http_server.h). Each instance's samples get its id as the `instance`
 * label; `drover_app_scrape_up{app,instance}` says which instances answered
 * (1) and which did not (0). Bounded: APP_METRICS_MAX_BYTES per instance
 * (more is a failed scrape), APP_METRICS_MAX_SCRAPES scrapes in flight (a
 * request past it is answered 503). */
#pragma once

#include "daemon/daemon.h"
#include "daemon/http/http_server.h"

#define APP_METRICS_TIMEOUT_MS 3000
#define APP_METRICS_MAX_BYTES (4u << 20)
#define APP_METRICS_MAX_SCRAPES 8

/* Starts the scrape of app (the decoded name) for the request in resp:
 * returns HTTP_DEFER (the answer follows from the loop), or a status with
 * resp's body set (404: no such app or no metrics_port; 503: too many
 * scrapes), or a negative errno. */
int app_metrics_handle(struct daemon *d, const char *app, struct http_response *resp);

/* Abandons every scrape in flight (the HTTP server is going away: their
 * requests are not answered). */
void app_metrics_cancel_all(void);
