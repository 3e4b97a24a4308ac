/* cmd_drain.c - `drover drain <app|all>... [--wait <duration>] [--off]`:
 * mark apps draining (runtime/drain_flag.h): they keep running and serving
 * what reaches them, but `drover probe ready` fails and drover-runtime's
 * agent tells HAProxy "drain", so balancers and Kubernetes stop sending new
 * work. --wait then sleeps (a preStop hook holding SIGTERM back while the
 * endpoints go); --off removes the marks (`--off all`: every mark). */
#include "base/parse.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/flag_value.h"
#include "runtime/drain_flag.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* 0 when every name is an app the daemon knows (or "all", or no daemon
 * runs to ask); else 1 after an error. */
static int check_names(struct cli *c, json_t *names)
{
    json_t *req = json_pack("{s:s, s:b}", "cmd", "list", "brief", 1), *reply = NULL;
    int r = client_request(c, req, 0, &reply);
    json_decref(req);
    if (r == -ENOTCONN)
        return 0;
    if (r < 0)
        return 1;
    size_t i, k;
    json_t *n, *p;
    int bad = 0;
    json_array_foreach(names, i, n)
    {
        const char *name = json_string_value(n);
        int found = !strcmp(name, DRAIN_ALL);
        json_array_foreach(json_object_get(reply, "processes"), k, p) found |=
            !strcmp(name, json_string_value(json_object_get(p, "name")) ?: "");
        if (!found)
            bad = cli_error("process or namespace '%s' not found", name);
    }
    json_decref(reply);
    return bad;
}

int cmd_drain(struct cli *c)
{
    int off = 0;
    int64_t wait_ms = 0;
    json_t *names = json_array();
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i], *v = NULL;
        int t = 0;
        if (!strcmp(a, "--off")) {
            off = 1;
        } else if ((t = flag_value(c->argc, c->argv, &i, "--wait", &v)) != 0) {
            if (t < 0 || parse_duration_ms(v, &wait_ms) < 0) {
                json_decref(names);
                return cli_usage("--wait needs a duration (5s, 1500ms)");
            }
        } else if (a[0] == '-' && a[1]) {
            json_decref(names);
            return cli_usage("unknown option '%s' for drain", a);
        } else {
            json_array_append_new(names, json_string(a));
        }
    }
    if (json_array_size(names) == 0) {
        json_decref(names);
        return cli_usage("usage: drover drain <app|all>... [--wait <duration>] [--off]");
    }
    int r = check_names(c, names);
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        if (r)
            break;
        const char *name = json_string_value(n);
        int e = !off                       ? drain_flag_set(&c->paths, name)
                : !strcmp(name, DRAIN_ALL) ? drain_flag_clear_all(&c->paths)
                                           : drain_flag_clear(&c->paths, name);
        if (e < 0)
            r = cli_error("cannot %s %s: %s", off ? "undrain" : "drain", name, strerror(-e));
        else
            cli_say(c, "%s %s", name,
                    off ? "no longer draining"
                        : "draining: `drover probe ready` fails and the agent says drain");
    }
    json_decref(names);
    if (r == 0 && wait_ms > 0) {
        fflush(stdout);
        struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
    return r;
}
