/* cmd_process.c - sendSignal, and the listings ls, jlist, describe, pid
 * (the verbs that act on apps are in cmd_actions.c). */
#include "base/parse.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/pm2_shape.h"
#include "cli/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_json(json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);
    if (text) {
        puts(text);
        free(text);
    }
}

int cli_report(const struct cli *c, json_t *reply, const char *done_msg)
{
    int ok = json_is_true(json_object_get(reply, "ok"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(reply, "warnings"), i, v)
        fprintf(stderr, "drover: warning: %s\n", json_string_value(v));
    json_t *errors = json_object_get(reply, "errors");
    if (json_array_size(errors) > 0) {
        json_array_foreach(errors, i, v)
            fprintf(stderr, "drover: error: %s\n", json_string_value(v));
    } else if (!ok) {
        fprintf(stderr, "drover: error: %s\n",
                json_string_value(json_object_get(reply, "error")) ?: "request failed");
    }
    if (c->json) {
        json_t *procs = json_object_get(reply, "processes");
        if (procs)
            print_json(procs);
    } else {
        if (ok && done_msg)
            cli_say(c, "%s", done_msg);
        json_t *procs = json_object_get(reply, "processes");
        if (procs && !c->silent)
            render_table(c, procs);
    }
    return ok ? 0 : 1;
}

/* Collects targets (non-option words) into a JSON array. */
static int collect_targets(struct cli *c, json_t *targets, int allow_none)
{
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (a[0] == '-' && a[1]) {
            if (!strcmp(a, "--update-env"))
                continue;
            return cli_usage("unknown option '%s' for %s", a, c->verb);
        }
        json_array_append_new(targets, json_string(a));
    }
    if (!allow_none && json_array_size(targets) == 0)
        return cli_usage("%s needs a target: a name, an id, a namespace or all", c->verb);
    return 0;
}

int cmd_send_signal(struct cli *c)
{
    if (c->argc < 2)
        return cli_usage("usage: drover sendSignal <signal> <target>...");
    int sig;
    if (parse_signal(c->argv[0], &sig) < 0 || !signal_name(sig))
        return cli_usage("unknown signal '%s'", c->argv[0]);
    json_t *targets = json_array();
    for (int i = 1; i < c->argc; i++)
        json_array_append_new(targets, json_string(c->argv[i]));
    json_t *req =
        json_pack("{s:s, s:s, s:o}", "cmd", "signal", "signal", c->argv[0], "targets", targets);
    json_t *reply;
    int r = client_request(c, req, 1, &reply);
    json_decref(req);
    if (r < 0)
        return 1;
    int ok = json_is_true(json_object_get(reply, "ok"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(reply, "errors"), i, v)
        fprintf(stderr, "drover: error: %s\n", json_string_value(v));
    if (c->json)
        print_json(reply);
    else if (ok)
        cli_say(c, "sent %s to %zu process(es)",
                json_string_value(json_object_get(reply, "signal")),
                json_array_size(json_object_get(reply, "sent")));
    json_decref(reply);
    return ok ? 0 : 1;
}

static json_t *list_request(struct cli *c, int brief)
{
    return client_call(c, json_pack("{s:s, s:b}", "cmd", "list", "brief", brief));
}

int cmd_list(struct cli *c)
{
    for (int i = 0; i < c->argc; i++)
        if (c->argv[i][0] == '-')
            return cli_usage("unknown option '%s' for %s", c->argv[i], c->verb);
    /* the table needs a few columns; --json gets the full objects */
    json_t *reply = list_request(c, !c->json);
    if (!reply)
        return 1;
    json_t *procs = json_object_get(reply, "processes");
    if (c->json)
        print_json(procs);
    else
        render_table(c, procs);
    json_decref(reply);
    return 0;
}

int cmd_jlist(struct cli *c)
{
    json_t *reply =
        client_call(c, json_pack("{s:s, s:b, s:b}", "cmd", "list", "brief", 0, "base_env", 1));
    if (!reply)
        return 1;
    json_t *shaped = pm2_shape_list(json_object_get(reply, "processes"));
    print_json(shaped);
    json_decref(shaped);
    json_decref(reply);
    return 0;
}

int cmd_describe(struct cli *c)
{
    json_t *targets = json_array();
    int r = collect_targets(c, targets, 0);
    if (r) {
        json_decref(targets);
        return r;
    }
    json_t *reply = client_call(c, json_pack("{s:s, s:o}", "cmd", "describe", "targets", targets));
    if (!reply)
        return 1;
    json_t *procs = json_object_get(reply, "processes");
    if (c->json) {
        print_json(procs);
    } else {
        size_t i;
        json_t *p;
        json_array_foreach(procs, i, p)
        {
            if (i)
                putchar('\n');
            render_describe(c, p);
        }
    }
    json_decref(reply);
    return 0;
}

int cmd_pid(struct cli *c)
{
    json_t *targets = json_array();
    int r = collect_targets(c, targets, 1);
    if (r) {
        json_decref(targets);
        return r;
    }
    json_t *reply;
    if (json_array_size(targets) == 0) {
        json_decref(targets);
        reply = list_request(c, 1);
    } else {
        reply = client_call(c, json_pack("{s:s, s:o}", "cmd", "describe", "targets", targets));
    }
    if (!reply)
        return 1;
    size_t i;
    json_t *p;
    json_t *pids = json_array();
    json_array_foreach(json_object_get(reply, "processes"), i, p)
    {
        json_int_t pid = json_integer_value(json_object_get(p, "pid"));
        if (pid > 0)
            json_array_append_new(pids, json_integer(pid));
    }
    if (c->json)
        print_json(pids);
    else
        json_array_foreach(pids, i, p) printf("%lld\n", (long long)json_integer_value(p));
    json_decref(pids);
    json_decref(reply);
    return 0;
}
