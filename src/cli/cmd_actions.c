/* cmd_actions.c - the verbs that act on apps, with PM2's options:
 *
 *   drover start <script>... [options] [-- args]   new apps (or more of one, -f)
 *   drover start <name|id|namespace>...            start what is stopped, restart what runs
 *   drover stop|delete <target>... [--watch]
 *   drover restart|reload <target>... [options] [-a] [--parallel N]
 *   drover reset <target>...
 *
 * A target is a name, an id, a namespace, all, a script's path or a
 * /regex/ of names (the daemon resolves them, daemon/cmd/targets.h).
 * restart/reload with app options (--node-args, --name, --cron-restart,
 * --watch...) or -a/--update-env apply them to the stored configuration
 * first. Ecosystem files go through cmd_ecosystem.c, --no-daemon through
 * runtime/runtime.h. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/start_args.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sends req (stolen) and reports the reply. Returns the exit code; the
 * reply is kept in *out when out is not NULL and the request went out. */
static int send_and_report(struct cli *c, json_t *req, const char *done, json_t **out)
{
    json_t *reply;
    int r = client_request(c, req, 1, &reply);
    json_decref(req);
    if (r < 0)
        return 1;
    r = cli_report(c, reply, done);
    if (out)
        *out = reply;
    else
        json_decref(reply);
    return r;
}

/* Targets and options of a verb other than start. Returns 0 or a usage
 * code; on 0 the caller frees sr. */
static int parse_action(struct cli *c, struct start_request *sr)
{
    int r = start_args_parse(c, c->argc, c->argv, sr);
    if (r)
        return r;
    if (json_array_size(sr->targets) == 0) {
        start_request_free(sr);
        return cli_usage("%s needs a target: a name, an id, a namespace, a script, /regex/ "
                         "or all",
                         c->verb);
    }
    if (json_array_size(sr->extra_args) > 0) {
        start_request_free(sr);
        return cli_usage("%s takes no app arguments (after --)", c->verb);
    }
    return 0;
}

/* Streams the logs of the named apps until interrupted (--attach). */
static int attach_logs(struct cli *c, json_t *names)
{
    size_t n = json_array_size(names);
    char **argv = calloc(n + 1, sizeof(char *));
    if (!argv)
        return cli_error("out of memory");
    for (size_t i = 0; i < n; i++)
        argv[i] = (char *)json_string_value(json_array_get(names, i));
    struct cli lc = *c;
    lc.verb = "logs";
    lc.argc = (int)n;
    lc.argv = argv;
    fflush(stdout);
    int r = cmd_logs(&lc);
    free(argv);
    return r;
}

/* The names of the apps of a start request (deduplicated). */
static json_t *names_of(json_t *apps)
{
    json_t *names = json_array();
    size_t i, k;
    json_t *a, *seen;
    json_array_foreach(apps, i, a)
    {
        json_t *name = json_object_get(a, "name");
        int dup = 0;
        json_array_foreach(names, k, seen) dup |= json_equal(seen, name);
        if (json_is_string(name) && !dup)
            json_array_append(names, name);
    }
    return names;
}

/* -w/--write: each app's configuration in <cwd>/<name>-pm2.json ($PWD,
 * as PM2). Returns 0 or 1 after printing an error. */
static int write_configs(json_t *apps)
{
    char cwd[PATH_MAX];
    const char *pwd = getenv("PWD");
    struct stat st;
    if (!pwd || pwd[0] != '/' || stat(pwd, &st) < 0 || !S_ISDIR(st.st_mode))
        pwd = getcwd(cwd, sizeof(cwd));
    if (!pwd)
        return cli_error("cannot read the current directory");
    size_t i;
    json_t *a;
    json_array_foreach(apps, i, a)
    {
        char path[PATH_MAX];
        const char *name = json_string_value(json_object_get(a, "name"));
        if (!name || snprintf(path, sizeof(path), "%s/%s-pm2.json", pwd, name) >= (int)sizeof(path))
            return cli_error("cannot write the configuration of an app");
        if (json_dump_file(a, path, JSON_INDENT(2) | JSON_SORT_KEYS) < 0)
            return cli_error("cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

/* `drover start <name|id|...>` of apps the daemon knows (PM2 does this
 * when no target is a file). Returns -1 when the daemon knows none. */
static int start_known(struct cli *c, json_t *targets)
{
    json_t *req = json_pack("{s:s, s:O}", "cmd", "start", "targets", targets);
    json_t *reply;
    int r = client_request(c, req, 1, &reply);
    json_decref(req);
    if (r < 0)
        return 1;
    const char *code = json_string_value(json_object_get(reply, "code"));
    if (!json_is_true(json_object_get(reply, "ok")) && code && !strcmp(code, "ENOENT")) {
        json_decref(reply);
        return -1;
    }
    r = cli_report(c, reply, "started");
    json_decref(reply);
    return r;
}

/* True when no target can be a script to start: words without a slash
 * that name no file here. */
static int targets_are_names(const struct start_request *sr)
{
    size_t i;
    json_t *t;
    json_array_foreach(sr->targets, i, t)
    {
        const char *s = json_string_value(t);
        if (!*s || strpbrk(s, "/ \t") || start_is_ecosystem_file(s) || access(s, F_OK) == 0)
            return 0;
    }
    return json_object_size(sr->overrides) == 0 && json_array_size(sr->extra_args) == 0;
}

int cmd_start(struct cli *c)
{
    struct start_request sr;
    int r = start_args_parse(c, c->argc, c->argv, &sr);
    if (r)
        return r;
    if (json_array_size(sr.targets) == 0) {
        start_request_free(&sr);
        return cli_usage("start needs a script, a command or an ecosystem file (no "
                         "ecosystem.config.js here)");
    }
    json_t *names = NULL;
    if (targets_are_names(&sr)) {
        r = start_known(c, sr.targets);
        if (r >= 0) {
            names = r == 0 ? json_incref(sr.targets) : NULL;
            goto after;
        }
    }
    json_t *apps = start_build_apps(c, &sr);
    if (!apps) {
        r = 1;
        goto after;
    }
    names = names_of(apps);
    json_t *req = json_pack("{s:s, s:O, s:o, s:b}", "cmd", "start", "apps", apps, "env",
                            start_cli_environment(), "force", sr.force);
    r = send_and_report(c, req, "started", NULL);
    if (r == 0 && sr.write_config)
        r = write_configs(apps);
    json_decref(apps);
after:
    if (sr.attach && r == 0 && names)
        r = attach_logs(c, names);
    json_decref(names);
    start_request_free(&sr);
    return r;
}

/* stop, delete and reset: targets, and no app option but --watch (stop
 * turns watching off anyway; PM2's `stop --watch` says so). */
static int plain_action(struct cli *c, const char *cmd, const char *done)
{
    struct start_request sr;
    int r = parse_action(c, &sr);
    if (r)
        return r;
    json_object_del(sr.overrides, "watch");
    if (json_object_size(sr.overrides) > 0) {
        const char *key = json_object_iter_key(json_object_iter(sr.overrides));
        start_request_free(&sr);
        return cli_usage("the option for '%s' has no meaning for %s", key, c->verb);
    }
    json_t *req = json_pack("{s:s, s:O}", "cmd", cmd, "targets", sr.targets);
    r = send_and_report(c, req, done, NULL);
    start_request_free(&sr);
    return r;
}

int cmd_stop(struct cli *c)
{
    return plain_action(c, "stop", "stopped");
}

int cmd_delete(struct cli *c)
{
    return plain_action(c, "delete", "deleted");
}

int cmd_reset(struct cli *c)
{
    return plain_action(c, "reset", "counters reset");
}

/* restart and reload: plain, or with options applied to the stored
 * configuration first. */
static int restart_or_reload(struct cli *c, int reload)
{
    struct start_request sr;
    int r = parse_action(c, &sr);
    if (r)
        return r;
    if (sr.env_name) {
        r = cli_usage("--env %s takes the environment from the ecosystem file: drover %s "
                      "<ecosystem file> --env %s",
                      sr.env_name, c->verb, sr.env_name);
        start_request_free(&sr);
        return r;
    }
    if (json_object_size(sr.env_vars) > 0)
        json_object_set(sr.overrides, "env", sr.env_vars);
    json_t *req, *reply = NULL;
    if (json_object_size(sr.overrides) > 0 || sr.update_env) {
        req = json_pack("{s:s, s:s, s:O, s:O, s:o, s:b}", "cmd", "apply", "mode",
                        reload ? "reload" : "restart", "targets", sr.targets, "overrides",
                        sr.overrides, "env", start_cli_environment(), "update_env", sr.update_env);
        r = send_and_report(c, req, reload ? "reloaded" : "restarted", NULL);
    } else if (reload) {
        req = json_pack("{s:s, s:O, s:I}", "cmd", "reload", "targets", sr.targets, "parallel",
                        (json_int_t)(sr.parallel ? sr.parallel : 1));
        json_t *probe = NULL;
        r = client_request(c, req, 1, &probe);
        json_decref(req);
        if (r < 0) {
            r = 1;
        } else {
            char done[128];
            snprintf(done, sizeof(done), "reloaded: %lld replaced without downtime, %lld restarted",
                     (long long)json_integer_value(json_object_get(probe, "replaced")),
                     (long long)json_integer_value(json_object_get(probe, "restarted")));
            r = cli_report(c, probe, done);
            json_decref(probe);
        }
    } else {
        req = json_pack("{s:s, s:O}", "cmd", "restart", "targets", sr.targets);
        r = send_and_report(c, req, "restarted", &reply);
    }
    json_decref(reply);
    if (r == 0 && sr.attach)
        r = attach_logs(c, sr.targets);
    start_request_free(&sr);
    return r;
}

int cmd_restart(struct cli *c)
{
    return restart_or_reload(c, 0);
}

int cmd_reload(struct cli *c)
{
    return restart_or_reload(c, 1);
}
