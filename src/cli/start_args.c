/* start_args.c - `drover start` arguments to app configs. */
#include "cli/start_args.h"
#include "cli/ecosystem.h"
#include "config/argsplit.h"
#include "config/options.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* Set while start_args_parse_quiet runs: no notice, no usage message. */
static int parse_quiet;

static int usage(const char *fmt, ...) PRINTF_LIKE(1, 2);

static int usage(const char *fmt, ...)
{
    if (parse_quiet)
        return 2;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return cli_usage("%s", msg);
}

static void note(const char *fmt, ...) PRINTF_LIKE(1, 2);

static void note(const char *fmt, ...)
{
    if (parse_quiet)
        return;
    va_list ap;
    fputs("drover: note: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

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
    json_decref(req->targets);
    json_decref(req->overrides);
    json_decref(req->env_vars);
    json_decref(req->extra_args);
    json_decref(req->only);
    memset(req, 0, sizeof(*req));
}

/* PM2's other spellings of a flag of the option table. */
static const char *flag_alias(const char *flag)
{
    static const char *const aliases[][2] = {
        {"--cron-restart", "--cron"},
    };
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (!strcmp(flag, aliases[i][0]))
            return aliases[i][1];
    return flag;
}

/* Flags of `pm2 startup` PM2 accepts anywhere: a notice, their value
 * skipped. */
static int startup_flag(const char *flag, int *takes_value)
{
    static const struct {
        const char *flag;
        int value;
    } flags[] = {{"--hp", 1}, {"--service-name", 1}, {"--wait-ip", 0}};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (!strcmp(flag, flags[i].flag)) {
            *takes_value = flags[i].value;
            return 1;
        }
    return 0;
}

static int next_is_value(int i, int argc, char **argv)
{
    return i + 1 < argc && argv[i + 1][0] != '-' && strcmp(argv[i + 1], "--") != 0;
}

/* Appends value to the array at key, one item per comma-separated part
 * ("--watch src,lib", "--listen 3000,4000"). */
static void append_value(json_t *overrides, const char *key, const char *value)
{
    json_t *have = json_object_get(overrides, key);
    if (!json_is_array(have)) {
        json_t *arr = json_array();
        if (json_is_string(have))
            json_array_append(arr, have);
        json_object_set_new(overrides, key, arr);
        have = arr;
    }
    char *copy = strdup(value), *save = NULL;
    for (char *part = copy ? strtok_r(copy, ",", &save) : NULL; part;
         part = strtok_r(NULL, ",", &save))
        json_array_append_new(have, json_string(part));
    free(copy);
}

/* --env NAME, --env KEY=VALUE and --only a,b. Returns 0 or a usage code. */
static int parse_env_or_only(struct start_request *req, const char *flag, const char *value)
{
    if (!strcmp(flag, "--only")) {
        json_decref(req->only);
        req->only = json_array();
        char *copy = strdup(value), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(req->only, json_string(t));
        free(copy);
        return 0;
    }
    const char *eq = strchr(value, '=');
    if (!eq) {
        req->env_name = value;
        return 0;
    }
    char key[512];
    snprintf(key, sizeof(key), "%.*s", (int)(eq - value), value);
    if (!key[0])
        return usage("--env needs KEY=VALUE or an environment name");
    json_object_set_new(req->env_vars, key, json_string(eq + 1));
    return 0;
}

/* Flags that are not app options: 1 when flag was one (and *i moved past
 * its value), 0 when not, or a usage code (> 1). */
static int parse_cli_flag(struct start_request *req, const char *flag, const char *value, int *i,
                          int argc, char **argv)
{
    static const struct {
        const char *flag, *alt;
        size_t offset;
    } switches[] = {
        {"-a", "--update-env", offsetof(struct start_request, update_env)},
        {"-f", "--force", offsetof(struct start_request, force)},
        {"-x", "--execute-command", offsetof(struct start_request, fork_mode)},
        {"-w", "--write", offsetof(struct start_request, write_config)},
        {"--attach", NULL, offsetof(struct start_request, attach)},
        {"--no-daemon", NULL, offsetof(struct start_request, no_daemon)},
    };
    for (size_t k = 0; k < sizeof(switches) / sizeof(switches[0]); k++)
        if (!strcmp(flag, switches[k].flag) ||
            (switches[k].alt && !strcmp(flag, switches[k].alt))) {
            *(int *)((char *)req + switches[k].offset) = 1;
            return 1;
        }
    int takes_value;
    if (startup_flag(flag, &takes_value)) {
        if (takes_value && !value && *i + 1 < argc)
            (*i)++;
        note("%s is an option of `drover startup`; ignored here", flag);
        return 1;
    }
    if (!strcmp(flag, "--env") || !strcmp(flag, "--only") || !strcmp(flag, "--parallel")) {
        if (!value && *i + 1 >= argc)
            return usage("%s needs a value", flag);
        if (!value)
            value = argv[++*i];
        if (strcmp(flag, "--parallel"))
            return parse_env_or_only(req, flag, value) ?: 1;
        char *end;
        long n = strtol(value, &end, 10);
        if (*end || n < 1 || n > 1000)
            return usage("--parallel needs a number from 1 to 1000, got '%s'", value);
        req->parallel = n;
        return 1;
    }
    if (!strcmp(flag, "-l") && !value && !next_is_value(*i, argc, argv)) {
        req->log_default = 1; /* PM2: -l alone, <home>/logs/<name>.log */
        return 1;
    }
    return 0;
}

int start_args_parse(struct cli *c, int argc, char **argv, struct start_request *req)
{
    memset(req, 0, sizeof(*req));
    req->targets = json_array();
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
            json_array_append_new(req->targets, json_string(a));
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
        int r = parse_cli_flag(req, flag, value, &i, argc, argv);
        if (r > 1)
            return r;
        if (r == 1)
            continue;
        const struct opt_def *d = opt_by_flag(flag_alias(flag));
        if (!d)
            return usage("unknown option '%s' (see: drover help start)", flag);
        const char *why = opt_notice(d);
        if (why)
            note("%s accepted: %s", flag, why);
        if (d->type == OPT_BOOL && !value) {
            json_object_set_new(req->overrides, d->key, json_boolean(!d->cli_negates));
            continue;
        }
        /* PM2's optional values: --watch [paths], --filter-env [envs] */
        int optional = d->type == OPT_BOOL_OR_STRINGS || !strcmp(d->key, "filter_env");
        if (optional && !value && !next_is_value(i, argc, argv)) {
            if (!json_object_get(req->overrides, d->key))
                json_object_set_new(req->overrides, d->key, json_true());
            continue;
        }
        if (!value) {
            if (i + 1 >= argc)
                return usage("%s needs a value", flag);
            value = argv[++i];
        }
        if (optional || d->type == OPT_LISTEN) { /* repeatable: every value counts */
            append_value(req->overrides, d->key, value);
            continue;
        }
        if (!strcmp(d->key, "stop_exit_codes")) { /* <codes...>: PM2 takes several */
            append_value(req->overrides, d->key, value);
            while (i + 1 < argc && strspn(argv[i + 1], "0123456789") == strlen(argv[i + 1]) &&
                   argv[i + 1][0])
                append_value(req->overrides, d->key, argv[++i]);
            continue;
        }
        char seconds[64];
        if (!strcmp(d->key, "watch_delay") && strspn(value, "0123456789.") == strlen(value)) {
            /* PM2's CLI: --watch-delay 4 is seconds (files say ms) */
            snprintf(seconds, sizeof(seconds), "%ss", value);
            value = seconds;
        }
        json_object_set_new(req->overrides, d->key, json_string(value));
        /* PM2: -i implies cluster mode unless a mode was given */
        if (!strcmp(d->key, "instances") && !json_object_get(req->overrides, "exec_mode"))
            json_object_set_new(req->overrides, "exec_mode", json_string("cluster"));
        if (!strcmp(d->key, "exec_mode") && json_object_get(req->overrides, "instances"))
            json_object_set_new(req->overrides, "exec_mode", json_string(value));
    }
    if (req->fork_mode)
        json_object_set_new(req->overrides, "exec_mode", json_string("fork"));
    req->target = json_string_value(json_array_get(req->targets, 0));
    return 0;
}

int start_args_parse_quiet(int argc, char **argv, struct start_request *req)
{
    parse_quiet = 1;
    int r = start_args_parse(NULL, argc, argv, req);
    parse_quiet = 0;
    if (r)
        start_request_free(req);
    return r;
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

/* Applies --env NAME (the file's deploy.NAME.env, then env_NAME, merged
 * into env), --env K=V and flag overrides to one app from a file or the
 * command line. */
static void apply_overrides(json_t *app, const struct start_request *req, json_t *deploy)
{
    json_t *env = json_object_get(app, "env");
    if (!json_is_object(env)) {
        env = json_object();
        json_object_set_new(app, "env", env);
    }
    if (req->env_name) {
        json_t *target = json_object_get(deploy, req->env_name);
        json_t *deploy_env = json_object_get(target, "env");
        if (json_is_object(deploy_env))
            json_object_update(env, deploy_env);
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

/* A file's app with PM2's spellings under our keys ("cmd" -> "script",
 * "out" -> "out_file"...; the key itself wins over an alias), and
 * execute_command meaning fork mode. Returns a new object. */
static json_t *canonical_app(json_t *app)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(app, k, v)
    {
        const char *ck = opt_canonical_key(k);
        if (ck != k && json_object_get(app, ck))
            continue;
        json_object_set(out, ck, v);
    }
    if (json_is_true(json_object_get(out, "execute_command")) && !json_object_get(out, "exec_mode"))
        json_object_set_new(out, "exec_mode", json_string("fork"));
    return out;
}

/* -l without a path: the combined log at <home>/logs/<name>.log. */
static void set_default_log(const struct cli *c, json_t *app)
{
    char path[PATH_MAX];
    const char *name = json_string_value(json_object_get(app, "name"));
    if (name && snprintf(path, sizeof(path), "%s/%s.log", c->paths.logs, name) < (int)sizeof(path))
        json_object_set_new(app, "log_file", json_string(path));
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

/* The apps of an ecosystem file, selected (--only) and completed. */
static json_t *apps_from_file(struct cli *c, struct start_request *req, const char *file)
{
    char base_dir[PATH_MAX];
    json_t *deploy = NULL;
    json_t *from_file = ecosystem_load(file, base_dir, sizeof(base_dir), &deploy);
    if (!from_file)
        return NULL;
    json_t *apps = json_array();
    size_t i;
    json_t *raw;
    json_array_foreach(from_file, i, raw)
    {
        if (!json_is_object(raw)) {
            cli_error("%s: app #%zu is not an object", file, i + 1);
            goto fail;
        }
        json_t *app = canonical_app(raw);
        const char *name = json_string_value(json_object_get(app, "name"));
        if (!name_selected(req->only, name)) {
            json_decref(app);
            continue;
        }
        int r;
        if (req->names_only) {
            /* stop/delete: only the name matters; the script may be gone */
            char derived[256];
            const char *script = json_string_value(json_object_get(app, "script"));
            default_name(script ? script : "app", derived, sizeof(derived));
            json_t *named = json_pack("{s:s}", "name", name ? name : derived);
            if (json_object_get(app, "append_env_to_name"))
                json_object_set(named, "append_env_to_name",
                                json_object_get(app, "append_env_to_name"));
            r = append_env_name(named, req);
            json_object_del(named, "append_env_to_name");
            json_decref(app);
            app = named;
        } else {
            apply_overrides(app, req, deploy);
            r = finish_app(app, base_dir);
            if (r == 0)
                r = append_env_name(app, req);
            if (r == 0 && req->log_default)
                set_default_log(c, app);
        }
        if (r != 0) {
            json_decref(app);
            goto fail;
        }
        json_array_append_new(apps, app);
    }
    json_decref(from_file);
    json_decref(deploy);
    if (json_array_size(apps) == 0) {
        cli_error("no app selected from %s", file);
        json_decref(apps);
        return NULL;
    }
    return apps;
fail:
    json_decref(from_file);
    json_decref(deploy);
    json_decref(apps);
    return NULL;
}

json_t *start_build_apps(struct cli *c, struct start_request *req)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd))) {
        cli_error("cannot read the current directory");
        return NULL;
    }
    size_t n = json_array_size(req->targets);
    if (n == 0) {
        cli_error("nothing to start");
        return NULL;
    }
    if (start_is_ecosystem_file(req->target)) {
        if (n > 1) {
            cli_error("start takes one ecosystem file (got '%s' and '%s'); pass the app's "
                      "arguments after --",
                      req->target, json_string_value(json_array_get(req->targets, 1)));
            return NULL;
        }
        return apps_from_file(c, req, req->target);
    }
    /* one app per script (PM2 starts several at once); --name names one */
    if (n > 1 && json_object_get(req->overrides, "name")) {
        cli_error("--name names one app, and %zu scripts were given", n);
        return NULL;
    }
    json_t *apps = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *script = json_string_value(json_array_get(req->targets, i));
        if (start_is_ecosystem_file(script)) {
            cli_error("'%s' is an ecosystem file: start it on its own", script);
            json_decref(apps);
            return NULL;
        }
        json_t *app = json_object();
        json_object_set_new(app, "script", json_string(script));
        apply_overrides(app, req, NULL);
        if (finish_app(app, cwd) != 0) {
            json_decref(app);
            json_decref(apps);
            return NULL;
        }
        if (req->log_default)
            set_default_log(c, app);
        json_array_append_new(apps, app);
    }
    return apps;
}
