/* http.c - DROVER_HTTP and the routes of the daemon's HTTP server (http.h). */
#include "daemon/http/http.h"
#include "base/log.h"
#include "config/listen_addr.h"
#include "daemon/http/app_metrics.h"
#include "daemon/http/dashboard.h"
#include "daemon/http/http_server.h"
#include "daemon/http/metrics.h"
#include "daemon/http/probes.h"
#include "daemon/http/prom_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define READYZ_PREFIX "/readyz/"
#define APP_METRICS_PREFIX "/metrics/app/"

static int not_found(struct http_response *resp)
{
    int r = strbuf_puts(&resp->body, "Not Found\n");
    return r < 0 ? r : 404;
}

static int route(const struct http_request *req, struct http_response *resp, void *data)
{
    struct daemon *d = data;
    int status;
    if (dashboard_owns(req->path))
        return dashboard_handle(d, req, resp);
    if (!strcmp(req->method, "POST")) {
        resp->headers = "Allow: GET, HEAD\r\n";
        status = strbuf_puts(&resp->body, "Method Not Allowed\n");
        status = status < 0 ? status : 405;
    } else if (!strcmp(req->path, "/livez")) {
        status = probes_live(d, &resp->body);
    } else if (!strcmp(req->path, "/readyz")) {
        status = probes_ready(d, NULL, &resp->body);
    } else if (!strncmp(req->path, READYZ_PREFIX, strlen(READYZ_PREFIX))) {
        char app[HTTP_PATH_MAX];
        if (http_path_decode(req->path + strlen(READYZ_PREFIX), app, sizeof(app)) < 0 || !*app)
            status = not_found(resp);
        else
            status = probes_ready(d, app, &resp->body);
    } else if (!strncmp(req->path, APP_METRICS_PREFIX, strlen(APP_METRICS_PREFIX))) {
        char app[HTTP_PATH_MAX];
        if (http_path_decode(req->path + strlen(APP_METRICS_PREFIX), app, sizeof(app)) < 0 || !*app)
            status = not_found(resp);
        else if ((status = app_metrics_handle(d, app, resp)) == HTTP_DEFER)
            return HTTP_DEFER;
        else if (status == 200)
            resp->content_type = PROM_CONTENT_TYPE;
    } else if (!strcmp(req->path, "/metrics")) {
        resp->content_type = PROM_CONTENT_TYPE;
        int r = metrics_render(d, &resp->body);
        status = r < 0 ? r : 200;
    } else {
        status = not_found(resp);
    }
    if (status < 0)
        return status;
    resp->status = status;
    return 0;
}

void http_start_from_env(struct daemon *d)
{
    const char *text = getenv("DROVER_HTTP");
    if (!text || !*text || d->http)
        return;
    http_start_at(d, text, "DROVER_HTTP");
}

int http_start_at(struct daemon *d, const char *text, const char *origin)
{
    if (d->http)
        return 0;
    struct sockaddr_storage addr;
    socklen_t len;
    if (http_parse_address(text, &addr, &len) < 0) {
        log_error("%s=%s is not an address (127.0.0.1:9615, [::1]:9615 or a port): "
                  "not serving HTTP",
                  origin, text);
        return -EINVAL;
    }
    struct listen_addr shown;
    char where[96];
    if (listen_addr_from_sockaddr((struct sockaddr *)&addr, len, &shown) == 0)
        text = listen_addr_format(&shown, where, sizeof(where));
    int r = dashboard_init(d);
    if (r < 0) {
        log_error_errno(r, "cannot write the dashboard token: not serving HTTP");
        return r;
    }
    r = http_server_start(d->loop, (struct sockaddr *)&addr, len, route, d, &d->http);
    if (r < 0) {
        log_error_errno(r, "cannot serve HTTP on %s (%s): not serving HTTP", text, origin);
        return r;
    }
    log_info("serving HTTP on %s: /metrics /livez /readyz, the dashboard at /", text);
    return 0;
}

void http_stop(struct daemon *d)
{
    app_metrics_cancel_all();
    dashboard_free(d);
    http_server_free(d->http);
    d->http = NULL;
}
