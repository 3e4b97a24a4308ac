/* ecosystem.c - reading PM2 ecosystem files. */
#include "cli/ecosystem.h"
#include "base/fdutil.h"
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ECOSYSTEM_BYTES (16u << 20)

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* {"apps": [...]}, [...] or {...one app...} -> array (new reference). */
static json_t *apps_of(json_t *root, const char *path)
{
    if (json_is_array(root))
        return json_incref(root);
    if (json_is_object(root)) {
        json_t *apps = json_object_get(root, "apps");
        if (json_is_array(apps))
            return json_incref(apps);
        if (json_is_object(apps))
            return json_pack("[O]", apps);
        if (json_object_get(root, "script"))
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

json_t *ecosystem_load(const char *path, char *base_dir, size_t len)
{
    char *text = NULL;
    if (strcmp(path, "-") == 0) {
        if (!getcwd(base_dir, len)) {
            cli_error("cannot read the current directory");
            return NULL;
        }
        text = read_all_stdin();
        if (!text) {
            cli_error("cannot read apps from standard input");
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
        free(real);
        if (ends_with(path, ".yml") || ends_with(path, ".yaml") || ends_with(path, ".js") ||
            ends_with(path, ".cjs") || ends_with(path, ".mjs")) {
            cli_error("%s: YAML and JavaScript ecosystem files are not supported yet", path);
            return NULL;
        }
        int r = read_file_at(AT_FDCWD, path, MAX_ECOSYSTEM_BYTES, &text, NULL);
        if (r < 0) {
            cli_error("%s: %s", path, strerror(-r));
            return NULL;
        }
    }
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!root) {
        cli_error("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    json_t *apps = apps_of(root, path);
    json_decref(root);
    return apps;
}
