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
 * (cmd_process.c), except restart/reload --update-env, which re-applies the
 * stored configs with this shell's environment. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/start_args.h"

#include <stdio.h>
#include <string.h>

/* True when the command's arguments name an ecosystem file (values of
 * --env and --only are not candidates). */
static int names_ecosystem_file(const struct cli *c)
{
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (!strcmp(a, "--"))
            return 0;
        if (!strcmp(a, "--env") || !strcmp(a, "--only")) {
            i++;
            continue;
        }
        if ((a[0] != '-' || !strcmp(a, "-")) && start_is_ecosystem_file(a))
            return 1;
    }
    return 0;
}

static int has_flag(const struct cli *c, const char *flag)
{
    for (int i = 0; i < c->argc && strcmp(c->argv[i], "--"); i++)
        if (!strcmp(c->argv[i], flag))
            return 1;
    return 0;
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

/* restart/reload <targets> --update-env: the stored configs again, with
 * this shell's environment as the new base environment (PM2 semantics). */
static int update_env_targets(struct cli *c, const char *mode)
{
    json_t *targets = json_array();
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (!strcmp(a, "--update-env"))
            continue;
        if (a[0] == '-' && a[1]) {
            json_decref(targets);
            return cli_usage("unknown option '%s' for %s", a, c->verb);
        }
        json_array_append_new(targets, json_string(a));
    }
    if (json_array_size(targets) == 0) {
        json_decref(targets);
        return cli_usage("%s needs a target: a name, an id, a namespace or all", c->verb);
    }
    json_t *req = json_pack("{s:s, s:s, s:o, s:o, s:b}", "cmd", "apply", "mode", mode, "targets",
                            targets, "env", start_cli_environment(), "update_env", 1);
    return send_apply(c, req, mode);
}

int cmd_start_any(struct cli *c)
{
    return names_ecosystem_file(c) ? apply_file(c, "start") : cmd_start(c);
}

int cmd_restart_any(struct cli *c)
{
    if (names_ecosystem_file(c))
        return apply_file(c, "restart");
    if (has_flag(c, "--update-env"))
        return update_env_targets(c, "restart");
    return cmd_restart(c);
}

int cmd_reload_any(struct cli *c)
{
    if (names_ecosystem_file(c))
        return apply_file(c, "reload");
    if (has_flag(c, "--update-env"))
        return update_env_targets(c, "reload");
    return cmd_reload(c);
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
