/* cmd_cluster.c - cluster verbs: reload (rolling, zero-downtime) and scale. */
#include "base/parse.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_reload(struct cli *c)
{
    json_t *targets = json_array();
    long parallel = 1;
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (!strcmp(a, "--parallel") || !strncmp(a, "--parallel=", 11)) {
            const char *v = a[10] == '=' ? a + 11 : (i + 1 < c->argc ? c->argv[++i] : NULL);
            int64_t n;
            if (!v || parse_int64(v, 1, 64, &n) < 0) {
                json_decref(targets);
                return cli_usage("--parallel needs a number from 1 to 64");
            }
            parallel = (long)n;
        } else if (!strcmp(a, "--update-env")) {
            continue;
        } else if (a[0] == '-') {
            json_decref(targets);
            return cli_usage("unknown option '%s' for reload", a);
        } else {
            json_array_append_new(targets, json_string(a));
        }
    }
    if (json_array_size(targets) == 0) {
        json_decref(targets);
        return cli_usage("reload needs a target: a name, an id, a namespace or all");
    }
    json_t *req = json_pack("{s:s, s:o, s:i}", "cmd", "reload", "targets", targets, "parallel",
                            (int)parallel);
    json_t *reply;
    int r = client_request(c, req, 1, &reply);
    json_decref(req);
    if (r < 0)
        return 1;
    char done[128];
    snprintf(done, sizeof(done), "reloaded: %lld replaced without downtime, %lld restarted",
             (long long)json_integer_value(json_object_get(reply, "replaced")),
             (long long)json_integer_value(json_object_get(reply, "restarted")));
    r = cli_report(c, reply, done);
    json_decref(reply);
    return r;
}

int cmd_scale(struct cli *c)
{
    if (c->argc != 2)
        return cli_usage("usage: drover scale <app> <N|+N|-N>");
    json_t *req =
        json_pack("{s:s, s:s, s:s}", "cmd", "scale", "app", c->argv[0], "count", c->argv[1]);
    json_t *reply;
    int r = client_request(c, req, 1, &reply);
    json_decref(req);
    if (r < 0)
        return 1;
    r = cli_report(c, reply, "scaled");
    json_decref(reply);
    return r;
}
