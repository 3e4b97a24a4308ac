/* inst_spec.c - from app config to supervisor spec. */
#include "daemon/inst_spec.h"
#include "base/parse.h"
#include "config/app_config.h"
#include "daemon/orphans.h"
#include "proto/kv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *interpreter_for_script(const char *script)
{
    static const struct {
        const char *ext, *interp;
    } table[] = {
        {".js", "node"},       {".mjs", "node"},   {".cjs", "node"}, {".py", "python3"},
        {".sh", "bash"},       {".rb", "ruby"},    {".php", "php"},  {".pl", "perl"},
        {".coffee", "coffee"}, {".ts", "ts-node"},
    };
    const char *dot = strrchr(script, '.');
    const char *slash = strrchr(script, '/');
    if (!dot || (slash && dot < slash))
        return NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(dot, table[i].ext) == 0)
            return table[i].interp;
    return NULL;
}

static int per_instance_logs(const struct inst *inst)
{
    const json_t *c = inst->app->config;
    if (cfg_bool(c, "merge_logs", 0))
        return 0;
    return cfg_is_cluster(c) || cfg_int(c, "instances", 1) != 1;
}

/* "name-out.log" or "name-out-3.log"; a configured path gets "-3" before its
 * extension in the per-instance case, like PM2. */
static char *log_path(const struct daemon *d, const struct inst *inst, const char *key,
                      const char *suffix)
{
    const json_t *c = inst->app->config;
    const char *configured = cfg_str(c, key, NULL);
    char buf[4096];
    int per = per_instance_logs(inst);
    if (cfg_bool(c, "disable_logs", 0))
        return NULL;
    char resolved[4096];
    if (configured && configured[0] != '/' && strcmp(configured, "NULL") != 0) {
        /* PM2 resolves relative log paths against the app's cwd */
        snprintf(resolved, sizeof(resolved), "%s/%s", cfg_str(c, "cwd", "/"), configured);
        configured = resolved;
    }
    if (configured) {
        if (strcmp(configured, "/dev/null") == 0 || strcmp(configured, "NULL") == 0)
            return NULL;
        if (!per)
            return strdup(configured);
        const char *dot = strrchr(configured, '.');
        const char *slash = strrchr(configured, '/');
        if (dot && (!slash || dot > slash))
            snprintf(buf, sizeof(buf), "%.*s-%lld%s", (int)(dot - configured), configured,
                     (long long)inst->id, dot);
        else
            snprintf(buf, sizeof(buf), "%s-%lld", configured, (long long)inst->id);
        return strdup(buf);
    }
    if (!suffix)
        return NULL;
    if (per)
        snprintf(buf, sizeof(buf), "%s/%s-%s-%lld.log", d->paths.logs, inst->app->name, suffix,
                 (long long)inst->id);
    else
        snprintf(buf, sizeof(buf), "%s/%s-%s.log", d->paths.logs, inst->app->name, suffix);
    return strdup(buf);
}

int inst_resolve_log_paths(const struct daemon *d, struct inst *inst)
{
    free(inst->log_out);
    free(inst->log_err);
    free(inst->log_combined);
    inst->log_out = log_path(d, inst, "out_file", "out");
    inst->log_err = log_path(d, inst, "error_file", "error");
    inst->log_combined = log_path(d, inst, "log_file", NULL);
    return 0;
}

int inst_preload_path(const struct daemon *d, char *out, size_t len)
{
    /* next to the binaries (build tree), else the installed library dir */
    static const char *const candidates[] = {"", "/../lib/drover",
                                             "/../lib/x86_64-linux-gnu/drover", "/../lib64/drover"};
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        char path[4200];
        snprintf(path, sizeof(path), "%s%s/libdrover-preload.so", d->exe_dir, candidates[i]);
        char *real = realpath(path, NULL);
        if (real) {
            snprintf(out, len, "%s", real);
            free(real);
            return 0;
        }
    }
    return -ENOENT;
}

int inst_sup_socket_path(const struct daemon *d, const struct inst *inst, int64_t gen, char *out,
                         size_t len)
{
    int n = snprintf(out, len, "%s/%lld.%lld.sock", d->paths.sup_dir, (long long)inst->id,
                     (long long)gen);
    return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

static int add_args(struct strbuf *sb, const json_t *arr)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        if (json_is_string(e) && kv_add(sb, "arg", json_string_value(e)) < 0)
            return -EINVAL;
    }
    return 0;
}

/* True when variable k matches a filter_env prefix. */
static int filtered(const json_t *filter, const char *k)
{
    size_t i;
    json_t *p;
    json_array_foreach(filter, i, p)
    {
        const char *prefix = json_string_value(p);
        if (prefix && strncmp(k, prefix, strlen(prefix)) == 0)
            return 1;
    }
    return 0;
}

/* Environment: the starting CLI's environment (minus filter_env), then the
 * variables PM2 apps rely on, then the app's own env. */
static int add_env(const struct daemon *d, const struct inst *inst, int64_t gen, struct strbuf *sb)
{
    const json_t *c = inst->app->config;
    json_t *env = json_object();
    const char *k;
    json_t *v;
    json_t *filter = json_object_get(c, "filter_env");
    if (inst->app->base_env && !json_is_true(filter)) {
        json_object_foreach(inst->app->base_env, k, v)
        {
            /* never leak the daemon's own location into apps */
            if (!filtered(filter, k) && strcmp(k, "DROVER_HOME") != 0 &&
                strcmp(k, "DROVER_INSTANCE_KEY") != 0)
                json_object_set(env, k, v);
        }
    }
    char num[32];
    snprintf(num, sizeof(num), "%lld", (long long)inst->id);
    json_object_set_new(env, "pm_id", json_string(num));
    json_object_set_new(env, "name", json_string(inst->app->name));
    json_object_set_new(env, "DROVER_APP_NAME", json_string(inst->app->name));
    json_object_set_new(env, "DROVER_INSTANCE_ID", json_string(num));
    snprintf(num, sizeof(num), "%d", inst->slot);
    json_object_set_new(env, cfg_str(c, "instance_var", "NODE_APP_INSTANCE"), json_string(num));
    json_t *appenv = json_object_get(c, "env");
    if (json_is_object(appenv))
        json_object_foreach(appenv, k, v) json_object_set(env, k, v);
    json_object_del(env, "DROVER_INSTANCE_KEY"); /* ours alone */
    int64_t port = cfg_int(c, "port", 0);
    if (port > 0 && !json_object_get(appenv, "PORT")) {
        snprintf(num, sizeof(num), "%lld", (long long)port);
        json_object_set_new(env, "PORT", json_string(num));
    }
    const char *inc = cfg_str(c, "increment_var", NULL);
    if (inc) {
        json_t *base = json_object_get(env, inc);
        int64_t b = 0;
        if (json_is_string(base) && parse_int64(json_string_value(base), 0, 1 << 30, &b) == 0) {
            snprintf(num, sizeof(num), "%lld", (long long)(b + inst->slot));
            json_object_set_new(env, inc, json_string(num));
        }
    }
    int r = 0;
    /* marks every process of this run, even one that escapes its session:
     * a new daemon finds what a dead supervisor left (orphans.h) */
    char marker[128];
    orphans_marker(d, inst->id, gen, marker, sizeof(marker));
    if (kv_add(sb, "env", marker) < 0)
        r = -E2BIG;
    json_object_foreach(env, k, v)
    {
        if (!json_is_string(v))
            continue;
        if (kv_addf(sb, "env", "%s=%s", k, json_string_value(v)) < 0) {
            r = -E2BIG;
            break;
        }
    }
    json_decref(env);
    return r;
}

/* Resolves user/uid/gid. Only root may switch; the same user is a no-op. */
static int add_identity(const json_t *c, struct strbuf *sb, char *err, size_t errlen)
{
    const char *user = cfg_str(c, "user", NULL);
    const char *uid_s = cfg_str(c, "uid", NULL);
    const char *gid_s = cfg_str(c, "gid", NULL);
    if (!user && !uid_s && !gid_s)
        return 0;
    struct passwd *pw = NULL;
    int64_t num;
    const char *who = user ? user : uid_s;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (who) {
        if (parse_int64(who, 0, 0x7fffffff, &num) == 0)
            pw = getpwuid((uid_t)num);
        else
            pw = getpwnam(who);
        if (!pw && parse_int64(who, 0, 0x7fffffff, &num) < 0) {
            snprintf(err, errlen, "unknown user '%s'", who);
            return -EINVAL;
        }
        uid = pw ? pw->pw_uid : (uid_t)num;
        gid = pw ? pw->pw_gid : (gid_t)num;
    }
    if (gid_s) {
        struct group *gr = NULL;
        if (parse_int64(gid_s, 0, 0x7fffffff, &num) == 0)
            gid = (gid_t)num;
        else if ((gr = getgrnam(gid_s)))
            gid = gr->gr_gid;
        else {
            snprintf(err, errlen, "unknown group '%s'", gid_s);
            return -EINVAL;
        }
    }
    if (uid == geteuid() && gid == getegid())
        return 0;
    if (geteuid() != 0) {
        snprintf(err, errlen, "running as another user needs the daemon to run as root");
        return -EPERM;
    }
    kv_add_i64(sb, "uid", uid);
    kv_add_i64(sb, "gid", gid);
    if (pw)
        kv_add(sb, "user", pw->pw_name);
    return 0;
}

int inst_build_spec(const struct daemon *d, const struct inst *inst, const struct spec_params *p,
                    struct strbuf *sb, char *err, size_t errlen)
{
    const json_t *c = inst->app->config;
    char path[4096];
    int r;

    snprintf(err, errlen, "cannot build the instance spec");
    kv_add_i64(sb, "id", inst->id);
    kv_add_i64(sb, "gen", p->gen);
    kv_add(sb, "name", inst->app->name);
    if ((r = inst_sup_socket_path(d, inst, p->gen, path, sizeof(path))) < 0)
        return r;
    kv_add(sb, "sock", path);
    char *app_json = json_dumps(c, JSON_COMPACT);
    if (app_json) {
        kv_add(sb, "app_json", app_json);
        free(app_json);
    }

    const char *script = cfg_str(c, "script", "");
    const char *interp = cfg_str(c, "interpreter", NULL);
    if (interp && (strcmp(interp, "none") == 0 || !*interp))
        interp = NULL;
    else if (!interp)
        interp = interpreter_for_script(script);
    if (interp) {
        kv_add(sb, "file", interp);
        kv_add(sb, "arg", interp);
        json_t *ia = json_object_get(c, "interpreter_args");
        if (json_is_array(ia))
            add_args(sb, ia);
    } else {
        kv_add(sb, "file", script);
    }
    kv_add(sb, "arg", script);
    json_t *args = json_object_get(c, "args");
    if (json_is_array(args))
        add_args(sb, args);
    if ((r = add_env(d, inst, p->gen, sb)) < 0) {
        snprintf(err, errlen, "environment too large");
        return r;
    }
    const char *cwd = cfg_str(c, "cwd", NULL);
    if (cwd)
        kv_add(sb, "cwd", cwd);
    if ((r = add_identity(c, sb, err, errlen)) < 0)
        return r;

    kv_add_i64(sb, "autorestart", cfg_bool(c, "autorestart", 1));
    kv_add_i64(sb, "min_uptime_ms", cfg_int(c, "min_uptime", CFG_DEFAULT_MIN_UPTIME_MS));
    kv_add_i64(sb, "max_restarts", cfg_int(c, "max_restarts", CFG_DEFAULT_MAX_RESTARTS));
    kv_add_i64(sb, "restart_delay_ms", cfg_int(c, "restart_delay", 0));
    kv_add_i64(sb, "exp_backoff_ms", cfg_int(c, "exp_backoff_restart_delay", 0));
    json_t *codes = json_object_get(c, "stop_exit_codes");
    size_t i;
    json_t *e;
    if (json_is_array(codes))
        json_array_foreach(codes, i, e) kv_add_i64(sb, "stop_exit_code", json_integer_value(e));
    kv_add_i64(sb, "kill_signal", cfg_kill_signal(c));
    kv_add_i64(sb, "kill_timeout_ms", cfg_int(c, "kill_timeout", CFG_DEFAULT_KILL_TIMEOUT_MS));
    kv_add_i64(sb, "restarts", p->restarts);
    kv_add_i64(sb, "created_at", inst->created_at);
    kv_add_i64(sb, "start", p->start);
    kv_add_i64(sb, "listen_fds", p->n_listen_fds);
    if (p->listen_fdnames)
        kv_add(sb, "listen_fdnames", p->listen_fdnames);
    if (d->cgroup_base[0]) {
        snprintf(path, sizeof(path), "%s/%lld.%lld", d->cgroup_base, (long long)inst->id,
                 (long long)p->gen);
        kv_add(sb, "cgroup", path);
    }

    /* cluster apps, and any app whose sockets the daemon holds, get the
     * socket-sharing shim and are ready when they listen() */
    int managed = cfg_is_cluster(c) || json_array_size(json_object_get(c, "listen")) > 0;
    int wait_ready = cfg_bool(c, "wait_ready", 0);
    if (managed) {
        char preload[4200];
        if (inst_preload_path(d, preload, sizeof(preload)) == 0)
            kv_add(sb, "preload", preload);
    }
    kv_add(sb, "readiness", wait_ready ? "explicit" : managed ? "listen" : "spawn");
    kv_add_i64(sb, "listen_timeout_ms",
               cfg_int(c, "listen_timeout", CFG_DEFAULT_LISTEN_TIMEOUT_MS));
    int is_node = interp && strcmp(interp, "node") == 0;
    int swm = cfg_bool(c, "shutdown_with_message", 0);
    kv_add_i64(sb, "node_ipc", is_node || wait_ready || swm);
    kv_add_i64(sb, "shutdown_with_message", swm);

    if (inst->log_out)
        kv_add(sb, "log_out", inst->log_out);
    if (inst->log_err)
        kv_add(sb, "log_err", inst->log_err);
    if (inst->log_combined)
        kv_add(sb, "log_combined", inst->log_combined);
    /* PM2: a log_date_format alone also turns timestamps on */
    const char *df = cfg_str(c, "log_date_format", NULL);
    kv_add_i64(sb, "log_time", cfg_bool(c, "time", 0) || df);
    if (df)
        kv_add(sb, "log_date_format", df);
    kv_add(sb, "log_type", cfg_str(c, "log_type", "raw"));
    kv_add_i64(sb, "log_max_size", cfg_int(c, "max_size", 0));
    kv_add_i64(sb, "log_retain", cfg_int(c, "retain", 0));
    kv_add_i64(sb, "log_compress", cfg_bool(c, "compress", 0));
    kv_add_i64(sb, "log_rotate_interval_ms", cfg_int(c, "rotate_interval", 0));
    if (sb->len >= (4u << 20) - 1024) {
        snprintf(err, errlen, "instance spec too large (environment or arguments)");
        return -E2BIG;
    }
    return 0;
}
