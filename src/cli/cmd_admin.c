/* cmd_admin.c - verbs about the daemon: ping, kill, update, reloadLogs,
 * flush, help (also `help pm2`: every PM2 verb), examples. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/pm2_verbs.h"
#include "config/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAEMON_EXIT_TIMEOUT_MS 120000

static int simple_request(struct cli *c, json_t *req, int autostart, json_t **reply)
{
    int r = client_request(c, req, autostart, reply);
    json_decref(req);
    if (r == -ENOTCONN)
        return r;
    if (r < 0)
        return 1;
    if (!json_is_true(json_object_get(*reply, "ok"))) {
        cli_error("%s", json_string_value(json_object_get(*reply, "error")) ?: "request failed");
        json_decref(*reply);
        return 1;
    }
    return 0;
}

int cmd_ping(struct cli *c)
{
    json_t *reply;
    int r = simple_request(c, json_pack("{s:s}", "cmd", "ping"), 1, &reply);
    if (r)
        return 1;
    if (c->json) {
        char *t = json_dumps(reply, JSON_COMPACT);
        puts(t);
        free(t);
    } else {
        printf("pong (daemon %lld, drover %s)\n",
               (long long)json_integer_value(json_object_get(reply, "pid")),
               json_string_value(json_object_get(reply, "version")));
    }
    json_decref(reply);
    return 0;
}

int cmd_kill(struct cli *c)
{
    json_t *reply;
    int r = simple_request(c, json_pack("{s:s}", "cmd", "kill"), 0, &reply);
    if (r == -ENOTCONN) {
        cli_say(c, "no daemon running");
        return 0;
    }
    if (r)
        return 1;
    json_decref(reply);
    if (client_wait_daemon_exit(c, DAEMON_EXIT_TIMEOUT_MS) < 0)
        return cli_error("the daemon did not exit in time");
    cli_say(c, "every app stopped, daemon exited");
    return 0;
}

int cmd_update(struct cli *c)
{
    json_t *reply;
    int r = simple_request(c, json_pack("{s:s}", "cmd", "update"), 0, &reply);
    if (r == -ENOTCONN) {
        cli_say(c, "no daemon running");
        return 0;
    }
    if (r)
        return 1;
    json_int_t old = json_integer_value(json_object_get(reply, "pid"));
    json_decref(reply);
    if (client_wait_daemon_exit(c, DAEMON_EXIT_TIMEOUT_MS) < 0)
        return cli_error("the old daemon did not exit in time");
    r = simple_request(c, json_pack("{s:s}", "cmd", "ping"), 1, &reply);
    if (r)
        return 1;
    cli_say(c, "daemon %lld replaced by %lld (drover %s); apps kept running", (long long)old,
            (long long)json_integer_value(json_object_get(reply, "pid")),
            json_string_value(json_object_get(reply, "version")));
    json_decref(reply);
    return 0;
}

int cmd_reload_logs(struct cli *c)
{
    json_t *reply;
    if (simple_request(c, json_pack("{s:s}", "cmd", "reload_logs"), 1, &reply))
        return 1;
    cli_say(c, "reopened the log files of %lld instance(s)",
            (long long)json_integer_value(json_object_get(reply, "reopened")));
    json_decref(reply);
    return 0;
}

int cmd_reload_logs_silently(struct cli *c)
{
    c->silent = 1;
    return cmd_reload_logs(c);
}

int cmd_flush(struct cli *c)
{
    json_t *req = json_pack("{s:s}", "cmd", "flush");
    if (c->argc > 0) {
        json_t *targets = json_array();
        for (int i = 0; i < c->argc; i++)
            json_array_append_new(targets, json_string(c->argv[i]));
        json_object_set_new(req, "targets", targets);
    }
    json_t *reply;
    if (simple_request(c, req, 1, &reply))
        return 1;
    cli_say(c, "emptied the log files of %lld instance(s)",
            (long long)json_integer_value(json_object_get(reply, "flushed")));
    json_decref(reply);
    return 0;
}

static const char *const usage_text =
    "usage: drover <command> [options]\n"
    "\n"
    "apps (a target is a name, an id, a namespace or all):\n"
    "  start <script|binary|\"command\"|ecosystem file|-> [options] [-- args]\n"
    "  stop|restart|delete|del <target|ecosystem file>...\n"
    "  reload <target|ecosystem file> [--parallel N]   rolling, zero-downtime\n"
    "  scale <app> <N|+N|-N>\n"
    "  startOrRestart|startOrReload <ecosystem file> [--only a,b] [--env name]\n"
    "  reset <target>...   sendSignal <signal> <target>...\n"
    "  send <target> <line>    write a line to the app's stdin\n"
    "listings (all take --json):\n"
    "  ls|list|status|l|ps [--sort <field>[:asc|desc]] [-m|--mini-list]\n"
    "                          the process table, sorted by name (fields: name, namespace,\n"
    "                          id, pid, cpu, memory, uptime, status, restarts)\n"
    "  jlist, prettylist       the process list in pm2 jlist's JSON shape (indented)\n"
    "  describe|desc|info|show <target>\n"
    "  env <target>            the environment an instance runs with (KEY: value)\n"
    "  pid [target]   id <name>\n"
    "logs:\n"
    "  logs [target] [--lines N] [--nostream] [--out|--err] [--raw] [--json|--format]\n"
    "       [--timestamp [format]] [--highlight <text>]\n"
    "  flush [target]  reloadLogs\n"
    "persistence and boot:\n"
    "  save [--force]  resurrect  cleardump\n"
    "  startup [systemd] [-u user] [--hp home] [--service-name name] [--print]  unstartup\n"
    "daemon:\n"
    "  ping  kill  update (replace the daemon binary, apps keep running)\n"
    "containers and balancers (docs/containers.md, docs/multi-host.md):\n"
    "  probe live|ready [app] [--timeout 3s]   exit 0 passes, 1 fails (HEALTHCHECK)\n"
    "  drain <app|all> [--wait duration] [--off]   probe ready fails, the agent says drain\n"
    "  export nginx|haproxy <app> [--hosts h1,h2]  a balancer's upstream/backend block\n"
    "  start ... --no-daemon, drover-runtime <file|script> [options]   in the foreground\n"
    "other:\n"
    "  monit|imonit            the full-screen terminal monitor (? in it lists the keys)\n"
    "  ecosystem|init [simple] write a sample ecosystem.config.js here\n"
    "  help [options|pm2]  examples\n"
    "  version                 version, git revision, build options, where the helpers are\n"
    "  doctor                  what this machine supports, a hint for each missing piece\n"
    "  completion bash|zsh|fish|install [shell]   shell completion (docs/install.md)\n"
    "\n"
    "global options: --json, --no-color, -s/--silent\n"
    "state lives in $DROVER_HOME (default ~/.local/state/drover)\n";

static const char *const examples_text =
    "drover usage examples:\n"
    "\n"
    "  drover start app.js --name api -i max      every CPU, one port, any program\n"
    "  drover start \"gunicorn app:wsgi\" -i 4 --listen 8000\n"
    "  drover start ecosystem.config.js --env production\n"
    "  drover reload api                          zero downtime\n"
    "  drover scale api +2\n"
    "  drover ls --sort memory:desc\n"
    "  drover logs api --lines 100 --timestamp\n"
    "  drover send 0 \"reload-config\"              a line to the app's stdin\n"
    "  drover save && drover startup              come back at boot (systemd)\n"
    "  drover update                              new daemon binary, apps keep running\n";

int cmd_examples(struct cli *c)
{
    (void)c;
    fputs(examples_text, stdout);
    return 0;
}

int cmd_help(struct cli *c)
{
    if (c->argc > 0 && (!strcmp(c->argv[0], "options") || !strcmp(c->argv[0], "start"))) {
        printf("options of start (ecosystem key, flag):\n");
        for (size_t i = 0; i < opt_table_len; i++) {
            const struct opt_def *d = &opt_table[i];
            char flags[64] = "";
            if (d->flag && d->short_flag)
                snprintf(flags, sizeof(flags), "%s, %s", d->short_flag, d->flag);
            else if (d->flag)
                snprintf(flags, sizeof(flags), "%s", d->flag);
            printf("  %-26s %-28s %s\n", d->key, flags, d->help);
        }
        return 0;
    }
    if (c->argc > 0 && !strcmp(c->argv[0], "pm2")) {
        /* the verb section of docs/pm2-migration.md */
        pm2_verbs_markdown(stdout);
        return 0;
    }
    fputs(usage_text, stdout);
    return 0;
}
