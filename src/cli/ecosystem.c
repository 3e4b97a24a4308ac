/* ecosystem.c - reading PM2 ecosystem files. */
#include "cli/ecosystem.h"
#include "base/fdutil.h"
#include "cli/cli.h"
#include "cli/node_eval.h"
#include "cli/start_args.h"
#include "cli/yaml_json.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ECOSYSTEM_BYTES (16u << 20)
#define MAX_ECOSYSTEM_APPS 1024

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* {"apps": [...]}, {"pm2": [...]} (PM2's older name), [...] or {...one
 * app...} -> array (new reference). */
static json_t *apps_of(json_t *root, const char *path)
{
    if (json_is_array(root))
        return json_incref(root);
    if (json_is_object(root)) {
        json_t *apps = json_object_get(root, "apps");
        if (!apps)
            apps = json_object_get(root, "pm2");
        if (json_is_array(apps))
            return json_incref(apps);
        if (json_is_object(apps))
            return json_pack("[O]", apps);
        if (json_object_get(root, "script") || json_object_get(root, "cmd") ||
            json_object_get(root, "command"))
            return json_pack("[O]", root);
    }
    cli_error("%s: expected {\"apps\": [...]}", path);
    return NULL;
}

static char *read_all_stdin(void)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 == cap) {
            if (cap >= MAX_ECOSYSTEM_BYTES) {
                free(buf);
                return NULL;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(STDIN_FILENO, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* A .json file PM2 would accept but jansson does not (comments, trailing
 * commas, unquoted keys: PM2 evaluates JSON files as JavaScript literals).
 * Falls back to node; without node, or if node fails too, the JSON error is
 * the useful one. */
static json_t *load_lenient_json(const char *real, const char *path, const json_error_t *jerr)
{
    char err[2048];
    char node[PATH_MAX];
    json_t *root = NULL;
    if (start_search_path("node", node, sizeof(node)) == 0)
        root = node_eval_file(real, err, sizeof(err));
    if (!root)
        cli_error("%s:%d:%d: %s", path, jerr->line, jerr->column, jerr->text);
    return root;
}

/* Reads and parses a file by its extension. */
static json_t *load_file(const char *path, const char *real)
{
    char err[2048];
    json_t *root;
    if (ends_with(path, ".js") || ends_with(path, ".cjs") || ends_with(path, ".mjs")) {
        root = node_eval_file(real, err, sizeof(err));
        if (!root)
            cli_error("%s: %s", path, err);
        return root;
    }
    char *text = NULL;
    size_t len = 0;
    int r = read_file_at(AT_FDCWD, real, MAX_ECOSYSTEM_BYTES, &text, &len);
    if (r < 0) {
        cli_error("%s: %s", path, r == -EFBIG ? "file too large" : strerror(-r));
        return NULL;
    }
    if (ends_with(path, ".yml") || ends_with(path, ".yaml")) {
        root = yaml_to_json(text, len, err, sizeof(err));
        if (!root)
            cli_error("%s:%s", path, err);
        free(text);
        return root;
    }
    json_error_t jerr;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!root)
        root = load_lenient_json(real, path, &jerr);
    return root;
}

json_t *ecosystem_load(const char *path, char *base_dir, size_t len, json_t **deploy)
{
    *deploy = NULL;
    json_t *root;
    if (strcmp(path, "-") == 0) {
        if (!getcwd(base_dir, len)) {
            cli_error("cannot read the current directory");
            return NULL;
        }
        char *text = read_all_stdin();
        if (!text) {
            cli_error("cannot read apps from standard input");
            return NULL;
        }
        json_error_t jerr;
        root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        free(text);
        if (!root) {
            cli_error("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
            return NULL;
        }
    } else {
        char *real = realpath(path, NULL);
        if (!real) {
            cli_error("%s: %s", path, strerror(errno));
            return NULL;
        }
        snprintf(base_dir, len, "%s", real);
        char *slash = strrchr(base_dir, '/');
        if (slash && slash != base_dir)
            *slash = '\0';
        root = load_file(path, real);
        free(real);
        if (!root)
            return NULL;
    }
    json_t *apps = apps_of(root, path);
    json_t *d = json_is_object(root) ? json_object_get(root, "deploy") : NULL;
    if (apps && json_is_object(d))
        *deploy = json_incref(d);
    json_decref(root);
    if (apps && json_array_size(apps) > MAX_ECOSYSTEM_APPS) {
        cli_error("%s: too many apps (at most %d)", path, MAX_ECOSYSTEM_APPS);
        json_decref(apps);
        json_decref(*deploy);
        *deploy = NULL;
        return NULL;
    }
    return apps;
}
