/* sampler.c - the periodic list requests of `drover monit` (sampler.h). */
#include "cli/monit/sampler.h"
#include "base/timeutil.h"
#include "base/unixsock.h"
#include "loop/loop.h"
#include "proto/conn.h"
#include "proto/frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char list_request[] = "{\"cmd\":\"list\",\"brief\":true}";

struct sampler {
    struct ev_loop *loop;
    const char *sock_path;
    sampler_cb cb;
    void *data;
    struct conn *conn;
    int64_t timer;
    int in_flight;
    int64_t sent_at;   /* mono ms of the request in flight */
    int late_reported; /* the callback was told this request is late */
    int connect_err;   /* the last connect's error, 0 when connected */
    char error[160];   /* the daemon's last error reply, "" when none */
};

static void on_timer(struct ev_loop *loop, void *data);

static void arm(struct sampler *s, int64_t delay_ms)
{
    ev_timer_cancel(s->loop, s->timer);
    int64_t id = ev_timer_add(s->loop, delay_ms, on_timer, s);
    s->timer = id > 0 ? id : 0;
}

static void on_frame(struct conn *c, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data)
{
    struct sampler *s = data;
    (void)c;
    for (unsigned i = 0; i < n_fds; i++)
        close(fds[i]);
    json_t *reply = json_loadb(payload, len, 0, NULL);
    json_t *ok = json_object_get(reply, "ok");
    if (!ok && json_is_true(json_object_get(reply, "progress"))) {
        json_decref(reply); /* the daemon is working on it */
        return;
    }
    s->in_flight = 0;
    s->late_reported = 0;
    if (json_is_true(ok)) {
        s->error[0] = '\0';
        s->cb(json_object_get(reply, "processes"), s->data);
    } else {
        const char *e = json_string_value(json_object_get(reply, "error"));
        snprintf(s->error, sizeof(s->error), "the daemon refused the list: %s",
                 e ? e : "a malformed reply");
        s->cb(NULL, s->data);
    }
    json_decref(reply);
}

static void on_close(struct conn *c, int err, void *data)
{
    struct sampler *s = data;
    (void)c;
    (void)err;
    s->conn = NULL; /* freed by the conn right after this */
    s->in_flight = 0;
    s->late_reported = 0;
    s->connect_err = -ECONNRESET;
    s->cb(NULL, s->data);
}

static const struct conn_handlers handlers = {.on_frame = on_frame, .on_close = on_close};

static int ensure_conn(struct sampler *s)
{
    if (s->conn)
        return 0;
    int fd = unix_connect(s->sock_path, 1);
    if (fd < 0)
        return fd;
    if (unix_check_peer(fd, NULL) < 0) {
        close(fd);
        return -EPERM;
    }
    s->conn = conn_new(s->loop, fd, FRAME_MAX_RESPONSE, &handlers, s);
    if (!s->conn) {
        close(fd);
        return -ENOMEM;
    }
    return 0;
}

static void request(struct sampler *s)
{
    int was = s->connect_err;
    int r = ensure_conn(s);
    if (r == 0)
        r = conn_send(s->conn, list_request, sizeof(list_request) - 1, NULL, 0);
    if (r == 0) {
        s->in_flight = 1;
        s->sent_at = mono_ms();
    }
    /* -EAGAIN: the daemon's backlog is full; it is there, try again */
    s->connect_err = r == -EAGAIN ? was : r;
    if (r < 0 && r != -EAGAIN && r != was)
        s->cb(NULL, s->data);
}

static void on_timer(struct ev_loop *loop, void *data)
{
    struct sampler *s = data;
    (void)loop;
    s->timer = 0;
    arm(s, SAMPLER_INTERVAL_MS);
    if (!s->in_flight) {
        request(s);
    } else if (!s->late_reported && mono_ms() - s->sent_at >= SAMPLER_SLOW_MS) {
        s->late_reported = 1;
        s->cb(NULL, s->data);
    } else if (s->late_reported) {
        s->cb(NULL, s->data); /* the "for N s" figure moves */
    }
}

struct sampler *sampler_new(struct ev_loop *loop, const char *daemon_sock, sampler_cb cb,
                            void *data)
{
    struct sampler *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->loop = loop;
    s->sock_path = daemon_sock;
    s->cb = cb;
    s->data = data;
    arm(s, SAMPLER_INTERVAL_MS);
    return s;
}

void sampler_poke(struct sampler *s)
{
    if (!s->in_flight)
        request(s);
}

const char *sampler_problem(const struct sampler *s, char *buf, size_t len)
{
    int64_t late = s->in_flight ? mono_ms() - s->sent_at : 0;
    if (late >= SAMPLER_SLOW_MS)
        snprintf(buf, len, "the daemon has not answered for %lld s: figures are stale",
                 (long long)(late / 1000));
    else if (s->connect_err == -ENOENT || s->connect_err == -ECONNREFUSED)
        snprintf(buf, len, "no daemon runs (drover ping starts one): figures are stale");
    else if (s->connect_err == -EPERM || s->connect_err == -EACCES)
        snprintf(buf, len, "the daemon of this home runs as another user");
    else if (s->connect_err == -ECONNRESET)
        snprintf(buf, len, "the daemon closed the connection: figures are stale");
    else if (s->connect_err < 0)
        snprintf(buf, len, "cannot reach the daemon: %s", strerror(-s->connect_err));
    else if (s->error[0])
        snprintf(buf, len, "%s", s->error);
    else
        return NULL;
    return buf;
}

void sampler_free(struct sampler *s)
{
    if (!s)
        return;
    ev_timer_cancel(s->loop, s->timer);
    if (s->conn)
        conn_free(s->conn);
    free(s);
}
