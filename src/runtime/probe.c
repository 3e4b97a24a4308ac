/* probe.c - a probe: the daemon's process list through readiness.h. */
#include "runtime/probe.h"
#include "cli/client.h"
#include "runtime/drain_flag.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int is_draining(const char *app, void *ctx)
{
    return drain_flag_is_set(ctx, app);
}

int probe_check(struct cli *c, const char *app, enum probe_kind kind, int with_marks, char *reason,
                size_t len)
{
    json_t *req = json_pack("{s:s}", "cmd", "list"), *reply = NULL;
    int r = req ? client_request(c, req, 0, &reply) : -ENOMEM;
    json_decref(req);
    if (r < 0) {
        snprintf(reason, len, "%s",
                 r == -ENOTCONN ? "no daemon running" : "the daemon did not answer");
        return 1;
    }
    if (!json_is_true(json_object_get(reply, "ok"))) {
        snprintf(reason, len, "the daemon said: %s",
                 json_string_value(json_object_get(reply, "error")) ?: "error");
        json_decref(reply);
        return 1;
    }
    r = readiness_eval(json_object_get(reply, "processes"), app, kind,
                       with_marks ? is_draining : NULL, &c->paths, reason, len);
    json_decref(reply);
    if (r == -ENOENT)
        snprintf(reason, len, "no app named %s", app);
    else if (r < 0) {
        snprintf(reason, len, "%s", strerror(-r));
        r = 1;
    }
    return r;
}
