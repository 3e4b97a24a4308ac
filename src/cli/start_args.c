/* start_args.c - `drover start` arguments to app configs. */
#include "cli/start_args.h"
#include "cli/ecosystem.h"
#include "config/argsplit.h"
#include "config/options.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

json_t *start_cli_environment(void)
{
    json_t *env = json_object();
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e)
            continue;
        char key[512];
        size_t klen = (size_t)(eq - *e);
        if (klen >= sizeof(key))
            continue;
        memcpy(key, *e, klen);
        key[klen] = '\0';
        json_object_set_new(env, key, json_string(eq + 1));
    }
    return env;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int start_is_ecosystem_file(const char *path)
{
    return strcmp(path, "-") == 0 || ends_with(path, ".json") || ends_with(path, ".yml") ||
           ends_with(path, ".yaml") || ends_with(path, ".config.js") ||
           ends_with(path, ".config.cjs") || ends_with(path, ".config.mjs");
}

void start_request_free(struct start_request *req)
{
    json_decref(req->overrides);
    json_decref(req->env_vars);
    json_decref(req->extra_args);
    json_decref(req->only);
    memset(req, 0, sizeof(*req));
}

int start_args_parse(struct cli *c, int argc, char **argv, struct start_request *req)
{
    memset(req, 0, sizeof(*req));
    req->overrides = json_object();
    req->env_vars = json_object();
    req->extra_args = json_array();
    (void)c;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            for (int k = i + 1; k < argc; k++)
                json_array_append_new(req->extra_args, json_string(argv[k]));
            break;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (req->target)
                return cli_usage("start takes one script or file (got '%s' and '%s'); pass "
                                 "the app's arguments after --",
                                 req->target, a);
            req->target = a;
            continue;
        }
        char flag[128];
        const char *value = NULL;
        const char *eq = strchr(a, '=');
        if (eq && a[1] == '-') {
            snprintf(flag, sizeof(flag), "%.*s", (int)(eq - a), a);
            value = eq + 1;
        } else {
            snprintf(flag, sizeof(flag), "%s", a);
        }
        if (!strcmp(flag, "--update-env")) {
            req->update_env = 1;
            continue;
        }
        if (!strcmp(flag, "-f") || !strcmp(flag, "--force")) {
            req->force = 1;
            continue;
        }
        if (!strcmp(flag, "--env") || !strcmp(flag, "--only")) {
            if (!value && i + 1 >= argc)
                return cli_usage("%s needs a value", flag);
            if (!value)
                value = argv[++i];
            if (!strcmp(flag, "--only")) {
                json_decref(req->only);
                req->only = json_array();
                char *copy = strdup(value), *save = NULL;
                for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                    json_array_append_new(req->only, json_string(t));
                free(copy);
            } else if (strchr(value, '=')) {
                const char *e2 = strchr(value, '=');
                char key[512];
                snprintf(key, sizeof(key), "%.*s", (int)(e2 - value), value);
                if (!key[0])
                    return cli_usage("--env needs KEY=VALUE or an environment name");
                json_object_set_new(req->env_vars, key, json_string(e2 + 1));
            } else {
                req->env_name = value;
            }
            continue;
        }
        const struct opt_def *d = opt_by_flag(flag);
        if (!d)
            return cli_usage("unknown option '%s' (see: drover help start)", flag);
        if (d->type == OPT_BOOL && !value) {
            json_object_set_new(req->overrides, d->key, json_boolean(!d->cli_negates));
            continue;
        }
        if (d->type == OPT_BOOL_OR_STRINGS && !value && (i + 1 >= argc || argv[i + 1][0] == '-')) {
            json_object_set_new(req->overrides, d->key, json_true());
            continue;
        }
        if (!value) {
            if (i + 1 >= argc)
                return cli_usage("%s needs a value", flag);
            value = argv[++i];
        }
        json_object_set_new(req->overrides, d->key, json_string(value));
        /* PM2: -i implies cluster mode unless a mode was given */
        if (!strcmp(d->key, "instances") && !json_object_get(req->overrides, "exec_mode"))
            json_object_set_new(req->overrides, "exec_mode", json_string("cluster"));
        if (!strcmp(d->key, "exec_mode") && json_object_get(req->overrides, "instances"))
            json_object_set_new(req->overrides, "exec_mode", json_string(value));
    }
    if (!req->target)
        return cli_usage("start needs a script, a command or an ecosystem file");
    return 0;
}

int start_search_path(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = strdup(path), *save = NULL;
    int r = -ENOENT;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char cand[PATH_MAX];
        snprintf(cand, sizeof(cand), "%s/%s", *dir ? dir : ".", name);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
            snprintf(out, len, "%s", cand);
            r = 0;
            break;
        }
    }
    free(copy);
    return r;
}

/* Resolves a script against cwd, then PATH (bare names only). Sets
 * *from_path when found in PATH (then it is run directly). */
static int resolve_script(const char *script, const char *cwd, char *out, size_t len,
                          int *from_path)
{
    char cand[PATH_MAX];
    struct stat st;
    *from_path = 0;
    if (script[0] == '/')
        snprintf(cand, sizeof(cand), "%s", script);
    else
        snprintf(cand, sizeof(cand), "%s/%s", cwd, script);
    if (stat(cand, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return -EISDIR;
        char *real = realpath(cand, NULL);
        snprintf(out, len, "%s", real ? real : cand);
        free(real);
        return 0;
    }
    if (strchr(script, '/'))
        return -ENOENT;
    if (start_search_path(script, out, len) == 0) {
        *from_path = 1;
        return 0;
    }
    return -ENOENT;
}

static void absolutize(const char *base, const char *p, char *out, size_t len)
{
    if (p[0] == '/')
        snprintf(out, len, "%s", p);
    else
        snprintf(out, len, "%s/%s", base, p);
}

/* The name of an app that has none: the script's file name without its
 * extension, or a command string's program name. */
static void default_name(const char *script, char *out, size_t len)
{
    size_t word = strcspn(script, " \t");
    int command = script[word] != '\0';
    char first[PATH_MAX];
    snprintf(first, sizeof(first), "%.*s", (int)word, script);
    const char *base = strrchr(first, '/');
    snprintf(out, len, "%s", base ? base + 1 : first);
    char *dot = strrchr(out, '.');
    if (!command && dot && dot != out)
        *dot = '\0';
}

/* Completes one app: cwd and script made absolute, interpreter chosen for
 * binaries, command strings split. */
static int finish_app(json_t *app, const char *base_dir)
{
    char cwd[PATH_MAX], resolved[PATH_MAX];
    const char *cfg_cwd = json_string_value(json_object_get(app, "cwd"));
    absolutize(base_dir, cfg_cwd ? cfg_cwd : ".", cwd, sizeof(cwd));
    char *real = realpath(cwd, NULL);
    if (!real)
        return cli_error("cwd '%s' does not exist", cwd);
    snprintf(cwd, sizeof(cwd), "%s", real);
    free(real);
    json_object_set_new(app, "cwd", json_string(cwd));

    const char *script = json_string_value(json_object_get(app, "script"));
    if (!script || !*script)
        return cli_error("an app has no script");
    int from_path = 0;
    int r = resolve_script(script, cwd, resolved, sizeof(resolved), &from_path);
    if (r == -ENOENT && strpbrk(script, " \t")) {
        /* a command string: split like a shell would, but run no shell */
        char **words;
        size_t n;
        if (argsplit(script, &words, &n) < 0 || n == 0) {
            argsplit_free(n ? words : NULL);
            return cli_error("cannot parse command '%s'", script);
        }
        r = resolve_script(words[0], cwd, resolved, sizeof(resolved), &from_path);
        if (r < 0) {
            int e = cli_error("'%s' not found (in %s or PATH)", words[0], cwd);
            argsplit_free(words);
            return e;
        }
        json_t *args = json_array();
        for (size_t i = 1; i < n; i++)
            json_array_append_new(args, json_string(words[i]));
        json_t *old = json_object_get(app, "args");
        if (json_is_array(old))
            json_array_extend(args, old);
        else if (json_is_string(old)) {
            char **more;
            size_t m;
            if (argsplit(json_string_value(old), &more, &m) == 0) {
                for (size_t i = 0; i < m; i++)
                    json_array_append_new(args, json_string(more[i]));
                argsplit_free(more);
            }
        }
        json_object_set_new(app, "args", args);
        if (!json_object_get(app, "name")) {
            const char *base = strrchr(words[0], '/');
            json_object_set_new(app, "name", json_string(base ? base + 1 : words[0]));
        }
        argsplit_free(words);
        from_path = 1;
    } else if (r == -EISDIR) {
        return cli_error("script '%s' is a directory", script);
    } else if (r < 0) {
        return cli_error("script '%s' not found (in %s or PATH)", script, cwd);
    }
    if (from_path && !json_object_get(app, "interpreter"))
        json_object_set_new(app, "interpreter", json_string("none"));
    if (!json_object_get(app, "name")) {
        char name[256];
        default_name(script, name, sizeof(name));
        json_object_set_new(app, "name", json_string(name));
    }
    json_object_set_new(app, "script", json_string(resolved));
    return 0;
}

/* Applies --env NAME (env_NAME merged into env), --env K=V and flag
 * overrides to one app from a file or the command line. */
static void apply_overrides(json_t *app, const struct start_request *req)
{
    json_t *env = json_object_get(app, "env");
    if (!json_is_object(env)) {
        env = json_object();
        json_object_set_new(app, "env", env);
    }
    if (req->env_name) {
        char key[300];
        snprintf(key, sizeof(key), "env_%s", req->env_name);
        json_t *named = json_object_get(app, key);
        if (json_is_object(named))
            json_object_update(env, named);
    }
    json_object_update(env, req->env_vars);
    if (json_object_size(env) == 0)
        json_object_del(app, "env");
    json_object_update(app, req->overrides);
    if (json_array_size(req->extra_args) > 0)
        json_object_set(app, "args", req->extra_args);
}

/* PM2's append_env_to_name: with --env NAME, the app is called "app-NAME". */
static int append_env_name(json_t *app, const struct start_request *req)
{
    json_t *flag = json_object_get(app, "append_env_to_name");
    const char *text = json_string_value(flag);
    if (!req->env_name || !(json_is_true(flag) || (text && !strcmp(text, "true"))))
        return 0;
    char name[512];
    snprintf(name, sizeof(name), "%s-%s", json_string_value(json_object_get(app, "name")),
             req->env_name);
    json_object_set_new(app, "name", json_string(name));
    return 0;
}

static int name_selected(const json_t *only, const char *name)
{
    if (!only)
        return 1;
    size_t i;
    json_t *v;
    json_array_foreach(only, i, v) if (name && !strcmp(json_string_value(v), name)) return 1;
    return 0;
}

json_t *start_build_apps(struct cli *c, struct start_request *req)
{
    char cwd[PATH_MAX];
    (void)c;
    if (!getcwd(cwd, sizeof(cwd))) {
        cli_error("cannot read the current directory");
        return NULL;
    }
    json_t *apps = json_array();
    if (start_is_ecosystem_file(req->target)) {
        char base_dir[PATH_MAX];
        json_t *from_file = ecosystem_load(req->target, base_dir, sizeof(base_dir));
        if (!from_file) {
            json_decref(apps);
            return NULL;
        }
        size_t i;
        json_t *app;
        json_array_foreach(from_file, i, app)
        {
            if (!json_is_object(app)) {
                cli_error("%s: app #%zu is not an object", req->target, i + 1);
                json_decref(from_file);
                json_decref(apps);
                return NULL;
            }
            const char *name = json_string_value(json_object_get(app, "name"));
            if (!name_selected(req->only, name))
                continue;
            json_t *copy = json_deep_copy(app);
            int r;
            if (req->names_only) {
                /* stop/delete: only the name matters; the script may be gone */
                json_decref(copy);
                char derived[256];
                const char *script = json_string_value(json_object_get(app, "script"));
                default_name(script ? script : "app", derived, sizeof(derived));
                copy = json_pack("{s:s}", "name", name ? name : derived);
                if (json_object_get(app, "append_env_to_name"))
                    json_object_set(copy, "append_env_to_name",
                                    json_object_get(app, "append_env_to_name"));
                r = append_env_name(copy, req);
                json_object_del(copy, "append_env_to_name");
            } else {
                apply_overrides(copy, req);
                r = finish_app(copy, base_dir);
                if (r == 0)
                    r = append_env_name(copy, req);
            }
            if (r != 0) {
                json_decref(copy);
                json_decref(from_file);
                json_decref(apps);
                return NULL;
            }
            json_array_append_new(apps, copy);
        }
        json_decref(from_file);
        if (json_array_size(apps) == 0) {
            cli_error("no app selected from %s", req->target);
            json_decref(apps);
            return NULL;
        }
        return apps;
    }
    json_t *app = json_object();
    json_object_set_new(app, "script", json_string(req->target));
    apply_overrides(app, req);
    if (finish_app(app, cwd) != 0) {
        json_decref(app);
        json_decref(apps);
        return NULL;
    }
    json_array_append_new(apps, app);
    return apps;
}
