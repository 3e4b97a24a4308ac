/* cmd_cluster.c - scale: a live change of an app's instance count. */
#include "base/parse.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
