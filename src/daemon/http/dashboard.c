/* dashboard.c - the dashboard's routes, token and live stream
 * (dashboard.h). */
#include "daemon/http/dashboard.h"
#include "base/fdutil.h"
#include "base/paths.h"
#include "base/timeutil.h"
#include "config/listen_addr.h"
#include "daemon/http/dashboard_parts.h"
#include "daemon/state/describe.h"
#include "daemon/state/registry.h"
#include "daemon/state/stats.h"
#include "loop/loop.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define API_APPS "/api/apps/"
#define PAGE_HEADERS                                                                               \
    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n"                      \
    "Referrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n"
#define BEARER "Bearer "

struct dashboard {
    char token[DASH_TOKEN_BYTES * 2 + 1];
    int64_t timer; /* the snapshot tick, 0 when no stream is open */
    uint64_t seq;  /* snapshots sent */
};

int dashboard_init(struct daemon *d)
{
    if (d->dash)
        return 0;
    unsigned char raw[DASH_TOKEN_BYTES];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return neg_errno();
        got += (size_t)n;
    }
    struct dashboard *dash = calloc(1, sizeof(*dash));
    if (!dash)
        return -ENOMEM;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(dash->token + 2 * i, 3, "%02x", raw[i]);
    char path[PATH_MAX], text[sizeof(dash->token) + 1];
    int r = path_join(path, d->paths.home, DASH_TOKEN_FILE);
    snprintf(text, sizeof(text), "%s\n", dash->token);
    if (r == 0)
        r = write_file_atomic(path, text, strlen(text), 0600);
    if (r < 0) {
        free(dash);
        return r;
    }
    d->dash = dash;
    return 0;
}

void dashboard_free(struct daemon *d)
{
    if (!d->dash)
        return;
    ev_timer_cancel(d->loop, d->dash->timer);
    free(d->dash);
    d->dash = NULL;
}

int dashboard_owns(const char *path)
{
    return !strcmp(path, "/") || !strcmp(path, "/events") || !strncmp(path, "/api/", 5) ||
           !strncmp(path, "/dashboard.", 11);
}

/* "Bearer <token>", compared in constant time. */
static int authorized(const struct dashboard *dash, const struct http_request *req)
{
    const char *v = req->authorization;
    size_t tlen = strlen(dash->token);
    if (req->auth_too_long || strlen(v) != strlen(BEARER) + tlen ||
        strncasecmp(v, BEARER, strlen(BEARER)))
        return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < tlen; i++)
        diff |= (unsigned char)(v[strlen(BEARER) + i] ^ dash->token[i]);
    return diff == 0;
}

/* A JSON answer: {"ok": false, "error": message} for status >= 400. */
static int answer_error(struct http_response *resp, int status, const char *message)
{
    json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", message);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int r = text ? strbuf_printf(&resp->body, "%s\n", text) : -ENOMEM;
    free(text);
    resp->status = status;
    resp->content_type = DASH_JSON_TYPE;
    if (status == 401)
        resp->headers = "WWW-Authenticate: Bearer realm=\"drover\"\r\n";
    return r;
}

int dash_answer_json(struct http_response *resp, int status, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return -ENOMEM;
    int r = strbuf_printf(&resp->body, "%s\n", text);
    free(text);
    resp->status = status;
    resp->content_type = DASH_JSON_TYPE;
    return r;
}

/* The snapshot: time, the daemon, and the `ls` columns of every instance. */
static json_t *snapshot(struct daemon *d)
{
    stats_sample(d);
    struct dashboard *dash = d->dash;
    return json_pack("{s:I, s:I, s:{s:i, s:s, s:I}, s:o}", "t", (json_int_t)wall_ms(), "seq",
                     (json_int_t)(dash ? ++dash->seq : 0), "daemon", "pid", (int)getpid(),
                     "version", DROVER_VERSION, "uptime_ms",
                     (json_int_t)(wall_ms() - d->started_at), "processes", describe_all_brief(d));
}

static void on_tick(struct ev_loop *loop, void *data)
{
    struct daemon *d = data;
    d->dash->timer = 0;
    if (!http_stream_count(d->http, DASH_STREAM_SNAPSHOTS))
        return; /* nobody watches: no timer until the next stream */
    json_t *o = snapshot(d);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text)
        http_stream_push(d->http, DASH_STREAM_SNAPSHOTS, "snapshot", text, strlen(text));
    free(text);
    int64_t t = ev_timer_add(loop, DASH_TICK_MS, on_tick, d);
    d->dash->timer = t > 0 ? t : 0;
}

static int open_events(struct daemon *d, struct http_response *resp)
{
    json_t *o = snapshot(d);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return -ENOMEM;
    int r = strbuf_printf(&resp->body, "retry: 2000\n\nevent: snapshot\ndata: %s\n\n", text);
    free(text);
    if (r < 0)
        return r;
    if (!d->dash->timer) {
        int64_t t = ev_timer_add(d->loop, DASH_TICK_MS, on_tick, d);
        d->dash->timer = t > 0 ? t : 0;
    }
    resp->stream_kind = DASH_STREAM_SNAPSHOTS;
    return HTTP_STREAM;
}

static int serve_asset(const char *path, struct http_response *resp)
{
    if (!strcmp(path, "/"))
        path = "/index.html";
    for (size_t i = 0; i < dash_assets_len; i++) {
        if (strcmp(dash_assets[i].path, path))
            continue;
        resp->content_type = dash_assets[i].content_type;
        resp->headers = PAGE_HEADERS;
        return strbuf_append(&resp->body, dash_assets[i].data, dash_assets[i].len);
    }
    resp->status = 404;
    return strbuf_puts(&resp->body, "Not Found\n");
}

/* /api/apps/<app>[/<what>]: splits and decodes. Returns 0 or -EINVAL. */
static int split_app_path(const char *path, char *app, size_t app_len, char *what, size_t what_len)
{
    char seg[HTTP_PATH_MAX];
    const char *rest = path + strlen(API_APPS), *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n == 0 || n >= sizeof(seg))
        return -EINVAL;
    memcpy(seg, rest, n);
    seg[n] = '\0';
    if (http_path_decode(seg, app, app_len) < 0 || !*app)
        return -EINVAL;
    what[0] = '\0';
    if (!slash)
        return 0;
    if (strchr(slash + 1, '/') || strlen(slash + 1) >= what_len)
        return -EINVAL;
    strcpy(what, slash + 1);
    return *what ? 0 : -EINVAL;
}

static int describe_app(struct daemon *d, struct app *app, struct http_response *resp)
{
    struct inst **insts = calloc(app->n_insts ? app->n_insts : 1, sizeof(*insts));
    if (!insts)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < d->reg.n_insts && n < app->n_insts; i++)
        if (d->reg.insts[i]->app == app)
            insts[n++] = d->reg.insts[i];
    stats_sample(d);
    json_t *reply = json_object();
    if (reply)
        describe_into(d, reply, insts, n);
    free(insts);
    return dash_answer_json(resp, 200, reply);
}

static int handle_api_app(struct daemon *d, const struct http_request *req,
                          struct http_response *resp)
{
    char app_name[HTTP_PATH_MAX], what[32];
    if (split_app_path(req->path, app_name, sizeof(app_name), what, sizeof(what)) < 0)
        return answer_error(resp, 404, "no such path");
    int post = !strcmp(req->method, "POST");
    if (!authorized(d->dash, req))
        return answer_error(resp, 401, "a valid dashboard token is needed (drover dashboard)");
    struct app *app = registry_find_app(&d->reg, app_name);
    if (post) {
        if (!*what)
            return answer_error(resp, 404, "no such action");
        return dash_action(d, app_name, what, req->body, req->body_len, resp);
    }
    if (!app)
        return answer_error(resp, 404, "no such app");
    if (!*what)
        return describe_app(d, app, resp);
    if (!strcmp(what, "logs"))
        return dash_answer_json(resp, 200, dash_log_tail(d, app));
    return answer_error(resp, 404, "no such path");
}

int dashboard_handle(struct daemon *d, const struct http_request *req, struct http_response *resp)
{
    int post = !strcmp(req->method, "POST");
    if (!d->dash)
        return answer_error(resp, 503, "the dashboard is not ready");
    if (!strncmp(req->path, API_APPS, strlen(API_APPS)))
        return handle_api_app(d, req, resp);
    if (post) {
        resp->headers = "Allow: GET, HEAD\r\n";
        return answer_error(resp, 405, "only /api/apps/<app>/<action> takes a POST");
    }
    if (!strcmp(req->path, "/events"))
        return open_events(d, resp);
    if (!strcmp(req->path, "/api/state"))
        return dash_answer_json(resp, 200, snapshot(d));
    if (!strncmp(req->path, "/api/", 5))
        return answer_error(resp, 404, "no such path");
    return serve_asset(req->path, resp);
}

int dashboard_url(const struct daemon *d, char *out, size_t len)
{
    if (!d->http || !d->dash)
        return -ENOTCONN;
    struct sockaddr_storage ss;
    socklen_t sl;
    struct listen_addr a;
    int r = http_server_address(d->http, &ss, &sl);
    if (r == 0)
        r = listen_addr_from_sockaddr((struct sockaddr *)&ss, sl, &a);
    if (r < 0)
        return r;
    if (!strcmp(a.host, "0.0.0.0"))
        strcpy(a.host, "127.0.0.1");
    else if (!strcmp(a.host, "::"))
        strcpy(a.host, "::1");
    char where[96];
    listen_addr_format(&a, where, sizeof(where));
    int n = snprintf(out, len, "http://%s/#token=%s", where, d->dash->token);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
