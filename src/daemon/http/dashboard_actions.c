/* dashboard_actions.c - the dashboard's POST actions (dashboard_parts.h):
 * checked here so that the answer can say what is wrong, then handed to the
 * same command handlers the CLI's requests reach (commands.h), with no
 * client: the operation runs as for a CLI that went away, and the page sees
 * its effect in the next snapshots. */
#include "base/parse.h"
#include "daemon/cmd/commands.h"
#include "daemon/http/dashboard_parts.h"
#include "daemon/state/registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int refuse(struct http_response *resp, int status, const char *message)
{
    return dash_answer_json(resp, status, json_pack("{s:b, s:s}", "ok", 0, "error", message));
}

/* The delta of a scale body ({"delta": N}, N a non-zero integer). Returns 0
 * or -EINVAL. */
static int scale_delta(const char *body, size_t len, json_int_t *delta)
{
    json_t *o = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *v = json_object_get(o, "delta");
    int r = json_is_integer(v) && json_integer_value(v) != 0 ? 0 : -EINVAL;
    if (r == 0)
        *delta = json_integer_value(v);
    json_decref(o);
    return r;
}

static int run_scale(struct daemon *d, struct app *app, const char *body, size_t len,
                     struct http_response *resp)
{
    json_int_t delta;
    if (scale_delta(body, len, &delta) < 0)
        return refuse(resp, 400, "scale needs {\"delta\": N} with N a non-zero integer");
    json_int_t target = (json_int_t)app->n_insts + delta;
    if (target < 1 || target > app->cfg.max_instances) {
        char msg[160];
        snprintf(msg, sizeof(msg), "cannot scale %s to %lld instances (allowed: 1 to %lld)",
                 app->name, (long long)target, (long long)app->cfg.max_instances);
        return refuse(resp, 409, msg);
    }
    char count[32];
    snprintf(count, sizeof(count), "%+lld", (long long)delta);
    json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "scale", "app", app->name, "count", count);
    if (!req)
        return -ENOMEM;
    cmd_scale(d, NULL, req);
    json_decref(req);
    return dash_answer_json(resp, 202,
                            json_pack("{s:b, s:s, s:s, s:I}", "ok", 1, "app", app->name, "action",
                                      "scale", "instances", target));
}

int dash_action(struct daemon *d, const char *app_name, const char *action, const char *body,
                size_t body_len, struct http_response *resp)
{
    static const struct {
        const char *name;
        command_fn fn;
    } actions[] = {{"restart", cmd_restart},
                   {"reload", cmd_reload},
                   {"stop", cmd_stop},
                   {"start", cmd_start},
                   {"scale", NULL}};
    size_t i = 0;
    while (i < sizeof(actions) / sizeof(actions[0]) && strcmp(actions[i].name, action))
        i++;
    if (i == sizeof(actions) / sizeof(actions[0]))
        return refuse(resp, 404, "no such action (restart, reload, stop, start, scale)");
    struct app *app = registry_find_app(&d->reg, app_name);
    if (!app)
        return refuse(resp, 404, "no such app");
    if (d->shutting_down)
        return refuse(resp, 503, "the daemon is shutting down");
    if (!actions[i].fn)
        return run_scale(d, app, body, body_len, resp);
    json_t *req = json_pack("{s:s, s:[s], s:s}", "cmd", action, "targets", app->name, "cwd", "/");
    if (!req)
        return -ENOMEM;
    actions[i].fn(d, NULL, req);
    json_decref(req);
    return dash_answer_json(
        resp, 202, json_pack("{s:b, s:s, s:s}", "ok", 1, "app", app_name, "action", action));
}
