/* man_runtime.c - drover-runtime(1), around the runtime's own --help text,
 * and droverd(8) (man_pages.h). */
#include "build_info.h"
#include "cli/man_pages.h"
#include "cli/roff.h"

static const char *const runtime_description =
    ".SH DESCRIPTION\n"
    "drover-runtime runs drover in the foreground with no detached daemon: as a container's "
    "entry point (PID 1, like pm2-runtime) or in a terminal. `drover start <app> --no-daemon` "
    "is the same. It starts droverd(8) as its child, starts the apps of the ecosystem file "
    "(drover-ecosystem(5)) or the script with `drover start`'s options (drover(1)), and prints "
    "their logs: the apps' stdout on its stdout, their stderr on its stderr.\n"
    ".PP\n"
    "It does what PID 1 must: it reaps every process that ends up its child, and forwards "
    "SIGHUP, SIGUSR1 and SIGUSR2 to every app. On SIGTERM or SIGINT it marks every app draining "
    "(readiness probes answer not ready), waits the shutdown delay (time for a load balancer to "
    "stop sending), stops the apps, each with its own kill_timeout, stops the daemon and exits "
    "0; a second signal skips the delay. A daemon that dies is started again and re-adopts the "
    "apps, which never stopped.\n"
    ".PP\n"
    "The drover CLI works alongside it (`docker exec <container> drover ls`, `reload`, "
    "`logs`).\n"
    ".PP\n"
    "With --http [addr:]port, its daemon serves HTTP there (as DROVER_HTTP does for any "
    "daemon; the apps do not inherit the variable): GET /livez and /readyz answer 200 or 503 "
    "with the rule of `drover probe live` and `drover probe ready` (readiness is 503 from the "
    "stop signal on, through the shutdown delay), /readyz/<app> for one app, and /metrics in "
    "the Prometheus text format. A bare port listens on 127.0.0.1; a Kubernetes httpGet probe "
    "needs 0.0.0.0:port. An address the daemon cannot bind is logged and HTTP is not served.\n";

static const char *const runtime_tail =
    ".SH EXIT STATUS\n"
    "0 after a requested stop (SIGTERM, SIGINT). When every app ended on its own and none will "
    "run again (each stopped or errored), it exits by itself (unless --no-auto-exit) with the "
    "highest code of its instances: an app's exit code, or 128 plus the signal that ended it, "
    "and at least 1 when one errored, so a container never loops on an app drover gave up on. "
    "2: a command line it cannot read.\n"
    ".SH EXAMPLES\n"
    ".nf\n"
    "CMD [\"drover-runtime\", \"ecosystem.config.js\"]\n"
    "drover-runtime --json server.js -i max\n"
    "drover start app.py --no-daemon\n"
    ".fi\n";

void man_write_runtime(FILE *out, const struct man_context *ctx)
{
    const struct man_page *page = man_page_find("drover-runtime");
    man_header(out, page, "drover in the foreground: a container's entry point");
    roff_prose(out, ".SH SYNOPSIS\n"
                    ".B drover\\-runtime\n"
                    "[runtime options] <ecosystem file | script> [start options] [-- args]\n"
                    ".br\n"
                    ".B drover start\n"
                    "<ecosystem file | script>... --no-daemon [runtime options] [start options]\n");
    roff_prose(out, runtime_description);
    if (ctx && ctx->runtime_help && *ctx->runtime_help) {
        roff_prose(out, ".SH OPTIONS\n"
                        "What `drover-runtime --help` prints; every other option is `drover "
                        "start`'s (drover(1)).\n"
                        ".PP\n"
                        ".nf");
        roff_text(out, ctx->runtime_help);
        roff_prose(out, ".fi\n");
    }
    roff_prose(out, runtime_tail);
    man_see_also(out, page, NULL);
}

static const char *const droverd_text =
    ".SH SYNOPSIS\n"
    ".B droverd\n"
    ".RB [ \\-\\-foreground ]\n"
    ".RB [ \\-\\-resurrect ]\n"
    ".SH DESCRIPTION\n"
    "droverd is drover's daemon. drover(1) starts it on first use; it is rarely run by hand. "
    "There is one per DROVER_HOME: it holds a lock on <home>/daemon.lock, re-adopts the "
    "supervisors (drover-sup, one per app instance) that run, then serves commands on its "
    "control socket. It owns the app registry and the listening sockets of cluster apps; the "
    "supervisors own the apps, so killing or replacing the daemon (`drover update`) stops "
    "nothing.\n"
    ".SH OPTIONS\n"
    ".TP\n"
    "--foreground\n"
    "Stay attached to the terminal or service manager, logging to stderr. Under systemd "
    "(NOTIFY_SOCKET set) it sends READY=1 once it serves, and STOPPING=1 when it shuts down.\n"
    ".TP\n"
    "--resurrect\n"
    "When adoption found no app, start the apps saved by `drover save` (the unit `drover "
    "startup` writes runs `droverd --foreground --resurrect`).\n"
    ".SH FILES\n"
    ".TP\n" DROVER_HELPER_DIR "/\n"
    "droverd and its helpers: drover-sup, drover-gzip, libdrover-preload.so.\n"
    ".TP\n"
    "$DROVER_HOME/daemon.log\n"
    "Its log when detached.\n";

void man_write_droverd(FILE *out, const struct man_context *ctx)
{
    (void)ctx;
    const struct man_page *page = man_page_find("droverd");
    man_header(out, page, "the drover daemon");
    roff_prose(out, droverd_text);
    man_see_also(out, page, NULL);
}
