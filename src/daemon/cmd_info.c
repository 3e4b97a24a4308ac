/* cmd_info.c - read-only commands: ping, list, describe. */
#include "base/timeutil.h"
#include "daemon/commands.h"
#include "daemon/describe.h"
#include "daemon/server.h"
#include "daemon/stats.h"
#include "daemon/targets.h"

#include <stdlib.h>
#include <unistd.h>

void cmd_ping(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    server_reply(c, json_pack("{s:b, s:i, s:s, s:I, s:s}", "pong", 1, "pid", (int)getpid(),
                              "version", DROVER_VERSION, "uptime_ms",
                              (json_int_t)(wall_ms() - d->started_at), "home", d->paths.home));
}

void cmd_list(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    stats_sample(d);
    server_reply(c, json_pack("{s:o}", "processes", describe_all(d)));
}

void cmd_describe(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    char err[512];
    if (targets_resolve(d, req, &insts, &n, err, sizeof(err)) < 0) {
        server_reply_error(c, "%s", err);
        return;
    }
    stats_sample(d);
    server_reply(c, json_pack("{s:o}", "processes", describe_some(d, insts, n)));
    free(insts);
}
