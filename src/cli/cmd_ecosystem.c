/* cmd_ecosystem.c - the verbs that accept an ecosystem file as PM2 does:
 *
 *   drover start|restart|reload|stop|delete <file> [--only a,b] [--env name]
 *   drover startOrRestart|startOrReload|startOrGracefulReload <file>
 *
 * The file's apps are sent to the daemon's "apply" command, which validates
 * all of them before touching anything. For every verb but stop and delete
 * the file's configuration replaces the one the daemon has (environment
 * included: a variable removed from the file is gone after the restart);
 * --update-env also replaces the base environment (the shell's variables)
 * with this CLI's. A target that is not a file goes to the plain verbs
 * (cmd_actions.c); `start` with no target at all starts
 * ./ecosystem.config.js, as in PM2; `start ... --no-daemon` runs the
 * runtime (runtime/runtime.h) in the foreground. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/start_args.h"
#include "runtime/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_ECOSYSTEM_FILE "ecosystem.config.js"

/* True when the first target of the command is an ecosystem file. */
static int names_ecosystem_file(const struct cli *c)
{
    struct start_request sr;
    if (start_args_parse_quiet(c->argc, c->argv, &sr) != 0)
        return 0;
    int file = sr.target && start_is_ecosystem_file(sr.target);
    start_request_free(&sr);
    return file;
}

static const char *done_message(const char *mode)
{
    if (!strcmp(mode, "stop"))
        return "stopped";
    if (!strcmp(mode, "delete"))
        return "deleted";
    if (strstr(mode, "eload"))
        return "reloaded";
    if (!strcmp(mode, "start"))
        return "started";
    return "restarted";
}

static int send_apply(struct cli *c, json_t *req, const char *mode)
{
    json_t *reply;
    int r = client_request(c, req, 1, &reply);
    json_decref(req);
    if (r < 0)
        return 1;
    r = cli_report(c, reply, done_message(mode));
    json_decref(reply);
    return r;
}

/* Applies the file named in the arguments with the given mode. */
static int apply_file(struct cli *c, const char *mode)
{
    struct start_request sr;
    int r = start_args_parse(c, c->argc, c->argv, &sr);
    if (r)
        return r;
    if (!start_is_ecosystem_file(sr.target)) {
        r = cli_usage("%s needs an ecosystem file (.json, .yml, .yaml, .config.js), got '%s'",
                      c->verb, sr.target);
        start_request_free(&sr);
        return r;
    }
    sr.names_only = !strcmp(mode, "stop") || !strcmp(mode, "delete");
    json_t *apps = start_build_apps(c, &sr);
    if (!apps) {
        start_request_free(&sr);
        return 1;
    }
    json_t *req = json_pack("{s:s, s:s, s:o, s:o, s:b}", "cmd", "apply", "mode", mode, "apps", apps,
                            "env", start_cli_environment(), "update_env", sr.update_env);
    start_request_free(&sr);
    return send_apply(c, req, mode);
}

/* True when the arguments hold no word but option values. */
static int no_target(const struct cli *c)
{
    struct start_request sr;
    if (start_args_parse_quiet(c->argc, c->argv, &sr) != 0)
        return 0;
    int none = json_array_size(sr.targets) == 0;
    start_request_free(&sr);
    return none;
}

int cmd_start_any(struct cli *c)
{
    if (runtime_no_daemon_wanted(c))
        return runtime_start_no_daemon(c);
    if (names_ecosystem_file(c))
        return apply_file(c, "start");
    if (no_target(c) && access(DEFAULT_ECOSYSTEM_FILE, F_OK) == 0) {
        /* PM2: `start` alone starts ./ecosystem.config.js */
        char **argv = calloc((size_t)c->argc + 2, sizeof(char *));
        if (!argv)
            return cli_error("out of memory");
        argv[0] = DEFAULT_ECOSYSTEM_FILE;
        memcpy(argv + 1, c->argv, (size_t)c->argc * sizeof(char *));
        struct cli fc = *c;
        fc.argv = argv;
        fc.argc = c->argc + 1;
        int r = apply_file(&fc, "start");
        free(argv);
        return r;
    }
    return cmd_start(c);
}

int cmd_restart_any(struct cli *c)
{
    return names_ecosystem_file(c) ? apply_file(c, "restart") : cmd_restart(c);
}

int cmd_reload_any(struct cli *c)
{
    return names_ecosystem_file(c) ? apply_file(c, "reload") : cmd_reload(c);
}

int cmd_stop_any(struct cli *c)
{
    return names_ecosystem_file(c) ? apply_file(c, "stop") : cmd_stop(c);
}

int cmd_delete_any(struct cli *c)
{
    return names_ecosystem_file(c) ? apply_file(c, "delete") : cmd_delete(c);
}

int cmd_start_or_restart(struct cli *c)
{
    return apply_file(c, "startOrRestart");
}

int cmd_start_or_reload(struct cli *c)
{
    return apply_file(c, "startOrReload");
}
