/* app_metrics.c - scraping an app's instances and merging (app_metrics.h). */
#include "daemon/http/app_metrics.h"
#include "base/macros.h"
#include "daemon/http/prom_merge.h"
#include "daemon/http/prom_text.h"
#include "loop/loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct target {
    struct scrape *sc;
    int64_t instance; /* the instance id */
    int fd;
    int done, ok;
    struct strbuf in;
};

struct scrape {
    struct daemon *d;
    uint64_t http_id;
    char app[256];
    char request[1200];
    int64_t timer;
    size_t n, pending;
    struct scrape *next;
    struct target t[];
};

static struct scrape *scrapes;
static size_t n_scrapes;

static void scrape_free(struct scrape *sc)
{
    for (struct scrape **p = &scrapes; *p; p = &(*p)->next)
        if (*p == sc) {
            *p = sc->next;
            n_scrapes--;
            break;
        }
    for (size_t i = 0; i < sc->n; i++) {
        ev_io_close(sc->d->loop, &sc->t[i].fd);
        strbuf_free(&sc->t[i].in);
    }
    if (sc->timer > 0)
        ev_timer_cancel(sc->d->loop, sc->timer);
    free(sc);
}

/* The body of an HTTP/1.x answer with status 200 in t->in (de-chunked when
 * chunked); NULL when the answer is not that. */
static const char *answer_body(struct target *t, size_t *len)
{
    char *buf = t->in.buf;
    if (!buf || strncmp(buf, "HTTP/1.", 7) || t->in.len < 12 || strncmp(buf + 8, " 200", 4))
        return NULL;
    char *body = strstr(buf, "\r\n\r\n");
    if (!body)
        return NULL;
    *body = '\0';
    int chunked = strcasestr(buf, "\ntransfer-encoding: chunked") != NULL;
    body += 4;
    size_t n = t->in.len - (size_t)(body - buf);
    if (!chunked) {
        *len = n;
        return body;
    }
    /* de-chunk in place: size line, data, CRLF, ... 0 */
    char *out = body, *p = body, *end = body + n;
    for (;;) {
        char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol)
            return NULL;
        unsigned long size = strtoul(p, NULL, 16);
        p = eol + 2;
        if (size == 0)
            break;
        if (size > (size_t)(end - p))
            return NULL;
        memmove(out, p, size);
        out += size;
        p += size + 2;
        if (p > end)
            return NULL;
    }
    *len = (size_t)(out - body);
    return body;
}

/* The merged answer into out; returns its status. */
static int render(struct scrape *sc, struct strbuf *out)
{
    struct prom_merge *m = prom_merge_new();
    int r = m ? 0 : -ENOMEM;
    for (size_t i = 0; i < sc->n && r == 0; i++) {
        struct target *t = &sc->t[i];
        size_t len = 0;
        const char *body = t->ok ? answer_body(t, &len) : NULL;
        t->ok = body != NULL;
        if (body && prom_merge_add(m, body, len, t->instance) < 0)
            t->ok = 0;
    }
    if (r == 0)
        r = prom_merge_write(m, out);
    if (r == 0)
        r = prom_family(out, "drover_app_scrape_up", PROM_GAUGE,
                        "1 when the instance answered the daemon's scrape of its own metrics");
    for (size_t i = 0; i < sc->n && r == 0; i++) {
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)sc->t[i].instance);
        const struct prom_label labels[] = {{"app", sc->app}, {"instance", id}};
        r = prom_sample(out, "drover_app_scrape_up", labels, ARRAY_SIZE(labels), sc->t[i].ok);
    }
    prom_merge_free(m);
    if (r < 0) {
        strbuf_reset(out);
        (void)!strbuf_printf(out, "cannot merge the metrics of %s: %s\n", sc->app, strerror(-r));
        return 500;
    }
    return 200;
}

static void finish(struct scrape *sc)
{
    struct strbuf out = STRBUF_INIT;
    int status = render(sc, &out);
    if (sc->d->http)
        http_respond(sc->d->http, sc->http_id, status,
                     status == 200 ? PROM_CONTENT_TYPE : "text/plain; charset=utf-8", &out);
    strbuf_free(&out);
    scrape_free(sc);
}

static void target_done(struct target *t, int ok)
{
    if (t->done)
        return;
    t->done = 1;
    t->ok = ok;
    ev_io_close(t->sc->d->loop, &t->fd);
    if (--t->sc->pending == 0)
        finish(t->sc);
}

static void on_io(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct target *t = data;
    (void)loop;
    if (events & EV_WRITE) {
        /* connected (or not): send the whole request, it is small */
        int err = 0;
        socklen_t el = sizeof(err);
        const char *req = t->sc->request;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err ||
            send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
            target_done(t, 0);
            return;
        }
        ev_io_mod(t->sc->d->loop, fd, EV_READ);
        return;
    }
    for (;;) {
        if (strbuf_reserve(&t->in, 16384) < 0) {
            target_done(t, 0);
            return;
        }
        ssize_t n = recv(fd, t->in.buf + t->in.len, t->in.cap - t->in.len - 1, 0);
        if (n > 0) {
            t->in.len += (size_t)n;
            t->in.buf[t->in.len] = '\0';
            if (t->in.len > APP_METRICS_MAX_BYTES) {
                target_done(t, 0);
                return;
            }
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        target_done(t, n == 0); /* end of the answer, or an error */
        return;
    }
}

static void on_timeout(struct ev_loop *loop, void *data)
{
    struct scrape *sc = data;
    (void)loop;
    sc->timer = 0;
    /* the instances that did not answer in time count as down */
    for (size_t i = 0; i < sc->n && sc->pending; i++)
        if (!sc->t[i].done)
            target_done(&sc->t[i], 0);
}

static int start_target(struct scrape *sc, struct target *t, int port)
{
    t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->fd < 0)
        return -errno;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(t->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
        return -errno;
    return ev_io_add(sc->d->loop, t->fd, EV_WRITE, on_io, t);
}

/* "<app><why>\n" as the answer's body; returns status. */
static int say(struct http_response *resp, int status, const char *app, const char *why)
{
    int r = strbuf_printf(&resp->body, "%s%s\n", app, why);
    return r < 0 ? r : status;
}

int app_metrics_handle(struct daemon *d, const char *name, struct http_response *resp)
{
    const struct app *app = NULL;
    for (size_t i = 0; i < d->reg.n_apps && !app; i++)
        if (!strcmp(d->reg.apps[i]->name, name))
            app = d->reg.apps[i];
    if (!app)
        return say(resp, 404, name, ": no such app");
    if (app->cfg.metrics_port <= 0)
        return say(resp, 404, name, " has no metrics_port");
    if (n_scrapes >= APP_METRICS_MAX_SCRAPES)
        return say(resp, 503, name, ": not scraped, too many scrapes in flight");
    size_t n = 0;
    for (size_t i = 0; i < d->reg.n_insts; i++)
        n += d->reg.insts[i]->app == app && d->reg.insts[i]->snap.pid > 0;
    struct scrape *sc = calloc(1, sizeof(*sc) + n * sizeof(sc->t[0]));
    if (!sc)
        return -ENOMEM;
    sc->d = d;
    sc->http_id = resp->id;
    snprintf(sc->app, sizeof(sc->app), "%s", name);
    snprintf(sc->request, sizeof(sc->request),
             "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\nUser-Agent: "
             "drover\r\n\r\n",
             app->cfg.metrics_path ? app->cfg.metrics_path : "/metrics");
    sc->next = scrapes;
    scrapes = sc;
    n_scrapes++;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        if (in->app != app || in->snap.pid <= 0)
            continue;
        struct target *t = &sc->t[sc->n++];
        t->sc = sc;
        t->instance = in->id;
        t->fd = -1;
        t->in = (struct strbuf)STRBUF_INIT;
        t->in.limit = APP_METRICS_MAX_BYTES + 16384;
        sc->pending++;
        if (start_target(sc, t, (int)(app->cfg.metrics_port + in->slot)) < 0) {
            t->done = 1; /* refused at once: down */
            sc->pending--;
            ev_io_close(d->loop, &t->fd);
        }
    }
    if (sc->pending == 0) { /* nothing to wait for: answered now */
        int status = render(sc, &resp->body);
        if (status == 200)
            resp->content_type = PROM_CONTENT_TYPE;
        scrape_free(sc);
        return status;
    }
    sc->timer = ev_timer_add(d->loop, APP_METRICS_TIMEOUT_MS, on_timeout, sc);
    if (sc->timer <= 0) {
        scrape_free(sc);
        return -ENOMEM;
    }
    return HTTP_DEFER;
}

void app_metrics_cancel_all(void)
{
    while (scrapes)
        scrape_free(scrapes);
}
