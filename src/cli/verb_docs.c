/* verb_docs.c - every drover verb: synopsis, summary, completion
 * (verb_docs.h). Order: `drover help`'s. */
#include "cli/verb_docs.h"
#include "cli/pm2_verbs.h"

#include <string.h>

#define APPS "Apps"
#define LISTINGS "Listings (every listing takes --json)"
#define LOGS "Logs"
#define BOOT "Persistence and boot"
#define DAEMON "The daemon"
#define OTHER "Other"
#define CLUSTER "Containers and balancers"

#define SORT_FIELDS "name|namespace|id|pid|cpu|memory|uptime|status|restarts"
#define STARTUP_FLAGS "-u= --user= --hp=/ --service-name="

/* clang-format off */
const struct verb_doc verb_docs[] = {
    {APPS, "start", "<script|binary|\"command\"|ecosystem file|->... [options] [-- args]",
     "Starts apps: a script (its interpreter comes from its extension), a binary, a command "
     "string (split like a shell would, never run by one), or the apps of an ecosystem file "
     "(drover-ecosystem(5); - reads JSON on standard input). Naming apps that exist starts what "
     "is stopped and restarts what runs, as PM2 does. -f starts more of an app that runs, "
     "--attach then follows its logs, --no-daemon runs the daemon in the foreground until "
     "interrupted (drover-runtime(1)).",
     VERB_ARG_TARGETS | VERB_ARG_FILES | VERB_ARG_OPTIONS, NULL,
     "-a --update-env -f --force -x --execute-command -w --write --attach --no-daemon --env= "
     "--only= --parallel="},
    {APPS, "stop", "<target|ecosystem file>...",
     "Stops instances; they stay listed (and watch turns off). An app's listening sockets close "
     "with its last instance.",
     VERB_ARG_TARGETS | VERB_ARG_FILES, NULL, "--only="},
    {APPS, "restart", "<target|ecosystem file>... [options] [-a|--update-env]",
     "Restarts instances. With options (--node-args, --name to rename, --cron, --watch...) the "
     "app's configuration changes first; -a takes the environment of this shell.",
     VERB_ARG_TARGETS | VERB_ARG_FILES | VERB_ARG_OPTIONS, NULL,
     "-a --update-env --env= --only= --parallel="},
    {APPS, "reload|gracefulReload", "<target|ecosystem file>... [--parallel N] [options]",
     "Rolling zero-downtime reload: each replacement starts and gets ready before the instance "
     "it replaces gets its stop signal (--parallel N at a time). A replacement that never gets "
     "ready aborts the reload and the old instances keep serving. Apps without managed sockets "
     "restart.",
     VERB_ARG_TARGETS | VERB_ARG_FILES | VERB_ARG_OPTIONS, NULL,
     "-a --update-env --env= --only= --parallel="},
    {APPS, "delete|del", "<target|ecosystem file>...", "Stops instances and removes their apps.",
     VERB_ARG_TARGETS | VERB_ARG_FILES, NULL, "--only="},
    {APPS, "scale", "<app> <N|+N|-N>", "Changes the instance count of a running app.",
     VERB_ARG_APP, NULL, NULL},
    {APPS, "startOrRestart|startOrReload|startOrGracefulReload",
     "<ecosystem file> [--only a,b] [--env name]",
     "Applies an ecosystem file: starts its new apps and restarts (or reloads) the others with "
     "their configuration from the file.",
     VERB_ARG_FILES, NULL, "--only= --env="},
    {APPS, "reset", "<target>...", "Sets the restart counters to zero.", VERB_ARG_TARGETS, NULL,
     NULL},
    {APPS, "sendSignal", "<signal> <target>...",
     "Sends a signal (SIGUSR2, USR2 or a number) to the main process of each instance.",
     VERB_ARG_SIGNAL, NULL, NULL},
    {APPS, "send", "<target> <line>",
     "Writes a line to the app's standard input, a pipe its supervisor holds; refused, not "
     "blocked, when the app does not read it.",
     VERB_ARG_TARGETS, NULL, NULL},
    {LISTINGS, "ls|list|status|l|ps", "[--sort <field>[:asc|desc]] [-m|--mini-list]",
     "The process table: CPU and memory of each whole process tree, sorted by name; --sort by "
     "name, namespace, id, pid, cpu, memory, uptime, status or restarts; -m, PM2's mini list.",
     0, NULL, "--sort=" SORT_FIELDS " -m --mini-list"},
    {LISTINGS, "jlist", "", "The process list in the JSON shape of pm2 jlist.", 0, NULL, NULL},
    {LISTINGS, "prettylist", "", "jlist, indented.", 0, NULL, NULL},
    {LISTINGS, "describe|desc|info|show", "<target>",
     "Everything about an instance, including why it errored.", VERB_ARG_TARGETS, NULL, NULL},
    {LISTINGS, "env", "<target>", "The environment an instance runs with, as KEY: value lines.",
     VERB_ARG_TARGETS, NULL, NULL},
    {LISTINGS, "pid", "[target]", "The main pids of the instances.", VERB_ARG_TARGETS, NULL, NULL},
    {LISTINGS, "id", "<name>", "The ids of an app's instances.", VERB_ARG_APP, NULL, NULL},
    {LISTINGS, "monit|imonit", "",
     "The full-screen terminal monitor: every process with CPU, memory, restarts and "
     "sparklines, the selected app's logs, and keys for the actions (? lists them).",
     0, NULL, NULL},
    {LISTINGS, "dashboard|dash", "[--address addr] [--open]",
     "Prints the URL of the web dashboard, with its token: live CPU and memory charts, "
     "describe, log tail and actions in a browser. The daemon serves it on DROVER_HTTP, or "
     "starts serving on --address (127.0.0.1:9615 by default); --open runs xdg-open.",
     0, NULL, "--address= --open"},
    {LOGS, "logs|log",
     "[target] [--lines N] [--nostream] [--out|--err] [--raw] [--json|--format] "
     "[--timestamp [format]] [--highlight text]",
     "Prints the last lines of the logs, then follows them. It reads the files itself, so it "
     "works with the daemon down.",
     VERB_ARG_TARGETS, NULL,
     "--lines= --nostream --out --err --raw --format --timestamp --highlight="},
    {LOGS, "flush", "[target]", "Empties log files.", VERB_ARG_TARGETS, NULL, NULL},
    {LOGS, "reloadLogs", "", "Reopens every log file, after an external logrotate moved them.", 0,
     NULL, NULL},
    {LOGS, "reloadLogsSilently", "", "reloadLogs without output.", 0, NULL, NULL},
    {BOOT, "save|dump", "[--force]",
     "Saves the process list (dump.json) for resurrect and for boot.", 0, NULL, "--force -f"},
    {BOOT, "resurrect", "", "Starts the apps of the saved process list.", 0, NULL, NULL},
    {BOOT, "cleardump", "", "Empties the saved process list.", 0, NULL, NULL},
    {BOOT, "startup", "[systemd] [-u user] [--hp home] [--service-name name] [--print]",
     "Writes and enables a systemd unit (Type=notify, Delegate=yes) that starts the daemon and "
     "the saved apps at boot; --print only shows it.",
     0, "systemd", STARTUP_FLAGS " --print"},
    {BOOT, "unstartup", "[systemd] [-u user] [--hp home] [--service-name name]",
     "Disables and removes that unit.", 0, "systemd", STARTUP_FLAGS},
    {DAEMON, "ping", "", "Checks that the daemon answers (starting it when none runs).", 0, NULL,
     NULL},
    {DAEMON, "kill", "", "Stops every app, then the daemon.", 0, NULL, NULL},
    {DAEMON, "update|updatePM2", "",
     "Replaces the daemon with the installed binary; every app keeps running.", 0, NULL, NULL},
    {OTHER, "ecosystem|init", "[simple]",
     "Writes a sample ecosystem.config.js in the current directory, never over an existing one.",
     0, "simple", NULL},
    {OTHER, "help", "[options|pm2]",
     "The commands; options: every app option; pm2: every PM2 verb and what drover does with it.",
     0, "options pm2", NULL},
    {OTHER, "examples", "", "Usage examples.", 0, NULL, NULL},
    {OTHER, "version", "",
     "The version, the git revision it was built from, its build options and where its helper "
     "programs are.",
     0, NULL, NULL},
    {OTHER, "doctor", "",
     "What this machine supports (cgroup v2 delegation, pidfds, the preload shim, "
     "tcp_migrate_req, the open file limits, ...), with a hint for each missing piece; exits 1 "
     "when drover cannot run apps here.",
     0, NULL, NULL},
    {OTHER, "completion", "bash|zsh|fish|install [shell]",
     "Prints the completion script of a shell, or installs it for this user (the package "
     "installs all three): verbs, flags, and the names and ids of the running apps.",
     0, "bash zsh fish install", NULL},
    {CLUSTER, "probe", "live|ready [app] [--timeout duration]",
     "One liveness or readiness check for Docker's HEALTHCHECK and Kubernetes' exec probes: "
     "exits 0 when it passes, 1 when it fails (no daemon, no answer within the timeout, 3 s by "
     "default, an errored, stopped, draining or not yet serving app), 2 on a usage error. Never "
     "starts a daemon.",
     VERB_ARG_TARGETS, "live ready", "--timeout="},
    {CLUSTER, "drain", "<app|all>... [--wait duration] [--off]",
     "Marks apps draining: they keep running, but `probe ready` fails and drover-runtime's "
     "HAProxy agent answers drain, so balancers stop sending them work; --wait then waits (a "
     "preStop hook), --off removes the marks.",
     VERB_ARG_TARGETS, NULL, "--wait= --off"},
    {CLUSTER, "export", "nginx|haproxy <app> [--hosts h1,h2,...] [--agent-port N] [--check-path p] [--keepalive N]",
     "Prints an nginx upstream (least_conn; a keepalive pool with --keepalive) or an HAProxy "
     "backend (HTTP check with --check-path, drover-runtime's agent with --agent-port) for an app "
     "that runs on several hosts, from its listen addresses.",
     VERB_ARG_TARGETS, "nginx haproxy", "--hosts= --agent-port= --check-path= --keepalive="},
};
/* clang-format on */

const size_t verb_docs_len = sizeof(verb_docs) / sizeof(verb_docs[0]);

const struct verb_doc *verb_doc_find(const char *verb)
{
    for (size_t i = 0; i < verb_docs_len; i++)
        if (pm2_names_has(verb_docs[i].names, verb, strlen(verb)))
            return &verb_docs[i];
    return NULL;
}
