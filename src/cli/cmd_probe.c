/* cmd_probe.c - `drover probe live|ready [app] [--timeout <duration>]`: one
 * check for Docker's HEALTHCHECK and Kubernetes' exec probes, with the
 * rule in runtime/readiness.h. Prints one line (JSON with --json) and exits
 * 0 when the probe passes, 1 when it fails (no daemon, no answer within the
 * timeout, an unknown app), 2 for a command line it cannot read. It never
 * starts a daemon. */
#include "base/parse.h"
#include "cli/cli.h"
#include "cli/flag_value.h"
#include "runtime/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_DEFAULT_TIMEOUT_MS 3000

int cmd_probe(struct cli *c)
{
    const char *kind_name = NULL, *app = NULL;
    int64_t timeout = PROBE_DEFAULT_TIMEOUT_MS;
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i], *v = NULL;
        int t = flag_value(c->argc, c->argv, &i, "--timeout", &v);
        if (t != 0) {
            if (t < 0 || parse_duration_ms(v, &timeout) < 0 || timeout <= 0)
                return cli_usage("--timeout needs a duration (3s, 500ms)");
            /* a bare number is seconds, as DROVER_TIMEOUT */
            if (strspn(v, "0123456789.") == strlen(v))
                timeout *= 1000;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage("unknown option '%s' for probe", a);
        } else if (!kind_name) {
            kind_name = a;
        } else if (!app) {
            app = a;
        } else {
            return cli_usage("usage: drover probe live|ready [app] [--timeout <duration>]");
        }
    }
    if (!kind_name || (strcmp(kind_name, "live") && strcmp(kind_name, "ready")))
        return cli_usage("usage: drover probe live|ready [app] [--timeout <duration>]");
    enum probe_kind kind = !strcmp(kind_name, "live") ? PROBE_LIVE : PROBE_READY;
    char reason[256];
    c->timeout_ms = (int)MIN(timeout, 3600000);
    int r = probe_check(c, app, kind, 1, reason, sizeof(reason));
    if (r == -ENOENT)
        snprintf(reason, sizeof(reason), "no app named %s", app);
    int ok = r == 0;
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s?, s:b, s:s}", "probe", kind_name, "app", app, "ok", ok,
                              "reason", reason);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (text)
            puts(text);
        free(text);
        json_decref(o);
    } else if (ok) {
        printf("%s\n", kind == PROBE_LIVE ? "live" : "ready");
    } else {
        printf("not %s: %s\n", kind == PROBE_LIVE ? "live" : "ready", reason);
    }
    return ok ? 0 : 1;
}
