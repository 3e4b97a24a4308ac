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

#include "cli/cli.h"

struct start_request {
    const char *target;   /* script, command string, file, or "-" */
    json_t *overrides;    /* app options from flags */
    json_t *env_vars;     /* --env KEY=VALUE */
    json_t *extra_args;   /* after -- */
    const char *env_name; /* --env NAME (ecosystem env_NAME) */
    json_t *only;         /* --only a,b */
    int update_env;       /* --update-env */
    int force;            /* -f */
    int names_only;       /* set by the caller: build {"name"} objects only (stop/delete) */
};

/* Parses argv into *req (flags may come before or after the target).
 * Returns 0, or 2 after printing a usage error. */
int start_args_parse(struct cli *c, int argc, char **argv, struct start_request *req);

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
