/* ecosystem.h - reading PM2 ecosystem files: {"apps": [...]} (or PM2's
 * older {"pm2": [...]}) as JSON
 * (.json; what jansson rejects, such as comments, is evaluated by node as a
 * JavaScript literal, as PM2 does), YAML (.yml/.yaml, yaml_json.h), a
 * JavaScript module (.config.js/.cjs/.mjs, evaluated by node exactly as PM2
 * does, node_eval.h), or JSON on standard input ("-"). A bare array of apps
 * and a single app object are accepted too. At most 16 MiB of text and 1024
 * apps. */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* Loads the apps of an ecosystem file. base_dir receives the directory
 * relative paths in the file are resolved against (the file's directory,
 * or the current directory for stdin); *deploy the file's "deploy" object
 * (a new reference, or NULL: its <env>.env joins `--env <env>`). Returns a
 * new array or NULL after printing an error naming the file. */
json_t *ecosystem_load(const char *path, char *base_dir, size_t len, json_t **deploy);
