/* cmd_dump.c - PM2's process-list persistence:
 *
 *   drover save [--force]   the apps, their configs and desired states
 *                           to $DROVER_HOME/dump.json (alias: dump)
 *   drover resurrect        start what the dump describes and is not running
 *   drover cleardump        empty the dump
 *
 * The daemon does the work (daemon/dump.h). */
#include "cli/cli.h"
#include "cli/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int no_args(const struct cli *c, int allow_force, int *force)
{
    for (int i = 0; i < c->argc; i++) {
        if (allow_force && (!strcmp(c->argv[i], "--force") || !strcmp(c->argv[i], "-f")))
            *force = 1;
        else
            return cli_usage("unexpected argument '%s' for %s", c->argv[i], c->verb);
    }
    return 0;
}

static void print_reply_json(const struct cli *c, json_t *reply)
{
    if (!c->json)
        return;
    char *text = json_dumps(reply, JSON_COMPACT);
    if (text)
        puts(text);
    free(text);
}

int cmd_save(struct cli *c)
{
    int force = 0;
    int r = no_args(c, 1, &force);
    if (r)
        return r;
    json_t *reply = client_call(c, json_pack("{s:s, s:b}", "cmd", "save", "force", force));
    if (!reply)
        return 1;
    print_reply_json(c, reply);
    cli_say(c, "saved %lld app(s), %lld instance(s) to %s",
            (long long)json_integer_value(json_object_get(reply, "apps")),
            (long long)json_integer_value(json_object_get(reply, "instances")),
            json_string_value(json_object_get(reply, "path")));
    json_decref(reply);
    return 0;
}

int cmd_cleardump(struct cli *c)
{
    int r = no_args(c, 0, NULL);
    if (r)
        return r;
    json_t *reply = client_call(c, json_pack("{s:s}", "cmd", "cleardump"));
    if (!reply)
        return 1;
    print_reply_json(c, reply);
    cli_say(c, "dump emptied (%s)", json_string_value(json_object_get(reply, "path")));
    json_decref(reply);
    return 0;
}

int cmd_resurrect(struct cli *c)
{
    int r = no_args(c, 0, NULL);
    if (r)
        return r;
    json_t *req = json_pack("{s:s}", "cmd", "resurrect");
    json_t *reply;
    r = client_request(c, req, 1, &reply);
    json_decref(req);
    if (r < 0)
        return 1;
    char done[128];
    snprintf(done, sizeof(done), "resurrected: %lld app(s) in the dump, %lld instance(s) started",
             (long long)json_integer_value(json_object_get(reply, "dumped")),
             (long long)json_integer_value(json_object_get(reply, "started")));
    r = cli_report(c, reply, done);
    json_decref(reply);
    return r;
}
