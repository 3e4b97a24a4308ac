/* start_args.h - turning `drover start ...` arguments into the apps the
 * daemon should run.
 *
 *   drover start <script|binary|"command string"> [options] [-- args...]
 *   drover start <ecosystem.json|.yml|.yaml|.config.js|-> [--only a,b] [--env name]
 *
 * Options are the table in config/options.h (PM2's flags). Paths are
 * resolved here, in the caller's directory, so the daemon never guesses:
 * the script becomes absolute, cwd defaults to the current directory, a
 * bare command name is looked up in PATH. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "cli/cli.h"

struct start_request {
    const char *target;   /* the first of targets, or NULL */
    json_t *targets;      /* every word that is not an option: scripts, a file, names */
    json_t *overrides;    /* app options from flags */
    json_t *env_vars;     /* --env KEY=VALUE */
    json_t *extra_args;   /* after -- */
    const char *env_name; /* --env NAME (ecosystem env_NAME) */
    json_t *only;         /* --only a,b */
    int update_env;       /* -a, --update-env */
    int force;            /* -f, --force: start more of an app that runs */
    int fork_mode;        /* -x, --execute-command: fork mode, whatever -i says */
    int write_config;     /* -w, --write: <cwd>/<name>-pm2.json */
    int attach;           /* --attach: stream the logs afterwards */
    int no_daemon;        /* --no-daemon: the daemon in the foreground of this CLI */
    int log_default;      /* -l without a path: <home>/logs/<name>.log */
    int64_t parallel;     /* --parallel N (restart, reload); 0 when not given */
    int names_only;       /* set by the caller: build {"name"} objects only (stop/delete) */
};

/* Parses argv into *req (flags may come before or after the targets):
 * PM2's flags (the option table, config/options.h, plus the CLI-only
 * ones in struct start_request). Flags that have nothing to act on here
 * (PM2's agent, startup options) print one notice line each. Returns 0, or
 * 2 after printing a usage error. No target is not an error here. */
int start_args_parse(struct cli *c, int argc, char **argv, struct start_request *req);

/* start_args_parse without a word printed (to look at the targets before
 * choosing a verb's path). On failure req holds nothing. */
int start_args_parse_quiet(int argc, char **argv, struct start_request *req);

/* Frees the JSON held by req. */
void start_request_free(struct start_request *req);

/* Builds the "apps" array for the daemon from req (reading an ecosystem
 * file when the target is one: --only selects apps by name, --env NAME
 * merges env_NAME into env and, with append_env_to_name, renames the app
 * "name-NAME"). With req->names_only the apps carry only their names.
 * Returns a new array or NULL after printing an error. */
json_t *start_build_apps(struct cli *c, struct start_request *req);

/* The CLI's environment as a JSON object (the base environment of apps). */
json_t *start_cli_environment(void);

/* True when path names an ecosystem file by its name (.json, .yml, .yaml,
 * .config.js/.cjs/.mjs) or is "-" (JSON on standard input). */
int start_is_ecosystem_file(const char *path);

/* Finds an executable regular file called name in this CLI's PATH and
 * writes its path into out. Returns 0 or -ENOENT. */
int start_search_path(const char *name, char *out, size_t len);
