/* inst_spec.c - from app config to supervisor spec. */
#include "daemon/instances/inst_spec.h"
#include "proto/least_conn.h"
#include "base/parse.h"
#include "config/app_config.h"
#include "config/node_inspect.h"
#include "daemon/instances/orphans.h"
#include "proto/frame.h"
#include "proto/spec.h"

#include <ctype.h>
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
    const struct app_config *c = &inst->app->cfg;
    if (c->merge_logs)
        return 0;
    return c->exec_mode == EXEC_CLUSTER || c->instances != 1;
}

/* The app's name as PM2 puts it in file names: characters other than
 * letters, digits, '.' and '-' become '-'. */
static void file_name_of(const char *name, char *out, size_t len)
{
    size_t n = 0;
    for (; name[n] && n + 1 < len; n++) {
        unsigned char ch = (unsigned char)name[n];
        out[n] = (isalnum(ch) || ch == '.' || ch == '-') && ch < 0x80 ? (char)ch : '-';
    }
    out[n] = '\0';
}

/* "name-out.log" or "name-out-3.log"; a configured path gets "-3" before its
 * extension in the per-instance case, like PM2. */
static char *log_path(const struct daemon *d, const struct inst *inst, const char *configured,
                      const char *suffix)
{
    const struct app_config *c = &inst->app->cfg;
    char buf[4096];
    int per = per_instance_logs(inst);
    if (c->disable_logs)
        return NULL;
    char resolved[4096];
    if (configured && configured[0] != '/' && strcmp(configured, "NULL") != 0) {
        /* PM2 resolves relative log paths against the app's cwd */
        snprintf(resolved, sizeof(resolved), "%s/%s", c->cwd ? c->cwd : "/", configured);
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
    char name[CFG_MAX_NAME_LEN * 4 + 1];
    file_name_of(inst->app->name, name, sizeof(name));
    if (per)
        snprintf(buf, sizeof(buf), "%s/%s-%s-%lld.log", d->paths.logs, name, suffix,
                 (long long)inst->id);
    else
        snprintf(buf, sizeof(buf), "%s/%s-%s.log", d->paths.logs, name, suffix);
    return strdup(buf);
}

int inst_resolve_log_paths(const struct daemon *d, struct inst *inst)
{
    free(inst->log_out);
    free(inst->log_err);
    free(inst->log_combined);
    const struct app_config *c = &inst->app->cfg;
    inst->log_out = log_path(d, inst, c->out_file, "out");
    inst->log_err = log_path(d, inst, c->error_file, "error");
    inst->log_combined = log_path(d, inst, c->log_file, NULL);
    return 0;
}

int inst_pid_file(const struct daemon *d, const struct inst *inst, char *out, size_t len)
{
    const struct app_config *c = &inst->app->cfg;
    const char *configured = c->pid_file;
    int n;
    if (configured && *configured) {
        /* PM2: relative to the app's cwd, "-<id>" before the extension */
        char path[PATH_MAX];
        if (configured[0] == '/')
            n = snprintf(path, sizeof(path), "%s", configured);
        else
            n = snprintf(path, sizeof(path), "%s/%s", c->cwd ? c->cwd : "/", configured);
        if (n < 0 || (size_t)n >= sizeof(path))
            return -ENAMETOOLONG;
        const char *dot = strrchr(path, '.');
        const char *slash = strrchr(path, '/');
        if (dot && dot > slash)
            n = snprintf(out, len, "%.*s-%lld%s", (int)(dot - path), path, (long long)inst->id,
                         dot);
        else
            n = snprintf(out, len, "%s-%lld", path, (long long)inst->id);
    } else {
        char name[CFG_MAX_NAME_LEN * 4 + 1];
        file_name_of(inst->app->name, name, sizeof(name));
        n = snprintf(out, len, "%s/%s-%lld.pid", d->paths.pids, name, (long long)inst->id);
    }
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
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

/* A growable NULL-terminated vector of strings (borrowed, or owned when
 * added with strv_take). */
struct strv {
    char **v;
    size_t n, cap;
    char **owned; /* what strv_free frees */
    size_t n_owned;
};

static int strv_push(struct strv *sv, const char *s)
{
    if (sv->n + 2 > sv->cap) {
        size_t ncap = sv->cap ? sv->cap * 2 : 16;
        char **nv = realloc(sv->v, ncap * sizeof(char *));
        if (!nv)
            return -ENOMEM;
        sv->v = nv;
        sv->cap = ncap;
    }
    sv->v[sv->n++] = (char *)s;
    sv->v[sv->n] = NULL;
    return 0;
}

/* Adds s, which the vector now owns. */
static int strv_take(struct strv *sv, char *s)
{
    if (!s)
        return -ENOMEM;
    char **no = realloc(sv->owned, (sv->n_owned + 1) * sizeof(char *));
    if (!no) {
        free(s);
        return -ENOMEM;
    }
    sv->owned = no;
    sv->owned[sv->n_owned++] = s;
    return strv_push(sv, s);
}

static void strv_free(struct strv *sv)
{
    for (size_t i = 0; i < sv->n_owned; i++)
        free(sv->owned[i]);
    free(sv->owned);
    free(sv->v);
    memset(sv, 0, sizeof(*sv));
}

static int add_args(struct strv *sv, const json_t *arr)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        if (json_is_string(e) && strv_push(sv, json_string_value(e)) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* True when variable k contains one of the filter_env strings (PM2 tests
 * with includes(), not as a prefix). */
static int filtered(const json_t *filter, const char *k)
{
    size_t i;
    json_t *p;
    json_array_foreach(filter, i, p)
    {
        const char *part = json_string_value(p);
        if (part && *part && strstr(k, part))
            return 1;
    }
    return 0;
}

/* Environment: the starting CLI's environment (minus filter_env), this
 * daemon's DROVER_HOME, the variables PM2 apps rely on, the app's own env,
 * then our marker. */
static int build_env(const struct daemon *d, const struct inst *inst, int64_t gen, struct strv *out)
{
    const struct app_config *c = &inst->app->cfg;
    json_t *env = json_object();
    const char *k;
    json_t *v;
    if (!env)
        return -ENOMEM;
    if (inst->app->base_env && !json_is_true(c->filter_env)) {
        json_object_foreach(inst->app->base_env, k, v)
        {
            if (!filtered(c->filter_env, k))
                json_object_set(env, k, v);
        }
    }
    /* an app that runs `drover` talks to the daemon that runs it (PM2 sets
     * PM2_HOME likewise) */
    json_object_set_new(env, "DROVER_HOME", json_string(d->paths.home));
    char num[32];
    snprintf(num, sizeof(num), "%lld", (long long)inst->id);
    json_object_set_new(env, "pm_id", json_string(num));
    json_object_set_new(env, "name", json_string(inst->app->name));
    json_object_set_new(env, "DROVER_APP_NAME", json_string(inst->app->name));
    json_object_set_new(env, "DROVER_INSTANCE_ID", json_string(num));
    snprintf(num, sizeof(num), "%d", inst->slot);
    json_object_set_new(env, c->instance_var, json_string(num));
    if (json_is_object(c->env))
        json_object_foreach(c->env, k, v) json_object_set(env, k, v);
    if (c->port > 0 && !json_object_get(c->env, "PORT")) {
        snprintf(num, sizeof(num), "%lld", (long long)c->port);
        json_object_set_new(env, "PORT", json_string(num));
    }
    if (c->metrics_port > 0) {
        snprintf(num, sizeof(num), "%lld", (long long)(c->metrics_port + inst->slot));
        json_object_set_new(env, "METRICS_PORT", json_string(num));
    }
    if (c->increment_var) {
        json_t *base = json_object_get(env, c->increment_var);
        int64_t b = 0;
        if (json_is_string(base) && parse_int64(json_string_value(base), 0, 1 << 30, &b) == 0) {
            snprintf(num, sizeof(num), "%lld", (long long)(b + inst->slot));
            json_object_set_new(env, c->increment_var, json_string(num));
        }
    }
    /* marks every process of this run, even one that escapes its session:
     * a new daemon finds what a dead supervisor left (orphans.h); ours alone */
    char marker[128];
    orphans_marker(d, inst->id, gen, marker, sizeof(marker));
    json_object_del(env, "DROVER_INSTANCE_KEY");
    int r = strv_take(out, strdup(marker));
    json_object_foreach(env, k, v)
    {
        if (r < 0)
            break;
        if (!json_is_string(v))
            continue;
        char *entry = NULL;
        if (asprintf(&entry, "%s=%s", k, json_string_value(v)) < 0)
            entry = NULL;
        r = strv_take(out, entry);
    }
    json_decref(env);
    return r;
}

/* Resolves user/uid/gid into sp. Only root may switch; the same user is a
 * no-op. */
static int resolve_identity(const struct app_config *c, struct inst_spec *sp, char *err,
                            size_t errlen)
{
    if (!c->user && !c->uid && !c->gid)
        return 0;
    struct passwd *pw = NULL;
    int64_t num;
    const char *who = c->user ? c->user : c->uid;
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
    if (c->gid) {
        struct group *gr = NULL;
        if (parse_int64(c->gid, 0, 0x7fffffff, &num) == 0)
            gid = (gid_t)num;
        else if ((gr = getgrnam(c->gid)))
            gid = gr->gr_gid;
        else {
            snprintf(err, errlen, "unknown group '%s'", c->gid);
            return -EINVAL;
        }
    }
    if (uid == geteuid() && gid == getegid())
        return 0;
    if (geteuid() != 0) {
        snprintf(err, errlen, "running as another user needs the daemon to run as root");
        return -EPERM;
    }
    sp->set_ids = 1;
    sp->uid = (int)uid;
    sp->gid = (int)gid;
    sp->user = pw ? pw->pw_name : NULL;
    return 0;
}

/* node's inspector: one port per instance slot, as node's cluster module
 * does (config/node_inspect.h); the broker lets the app bind it itself */
static int add_inspect_port(struct strv *argv, const char *interp, int slot, struct inst_spec *sp)
{
    const char *base = strrchr(interp, '/');
    if (strncmp(base ? base + 1 : interp, "node", 4) != 0)
        return 0;
    sp->inspect_port = node_inspect_port((const char *const *)argv->v + 1, argv->n - 1, slot);
    if (!sp->inspect_port || slot == 0)
        return 0;
    char arg[32];
    return strv_take(argv, strdup(node_inspect_port_arg(sp->inspect_port, arg, sizeof(arg))));
}

int inst_build_spec(const struct daemon *d, const struct inst *inst, const struct spec_params *p,
                    struct strbuf *sb, char *err, size_t errlen)
{
    const struct app_config *c = &inst->app->cfg;
    struct inst_spec sp = {0};
    struct strv argv = {0}, envp = {0};
    char sock[4096], cgroup[4200], preload[4200], notify[4200];
    int r;

    snprintf(err, errlen, "cannot build the instance spec");
    sp.id = inst->id;
    sp.gen = p->gen;
    sp.name = inst->app->name;
    if ((r = inst_sup_socket_path(d, inst, p->gen, sock, sizeof(sock))) < 0)
        return r;
    sp.sock_path = sock;

    const char *interp = c->interpreter;
    if (interp && (strcmp(interp, "none") == 0 || !*interp))
        interp = NULL;
    else if (!interp)
        interp = interpreter_for_script(c->script);
    if (interp) {
        sp.file = interp;
        r = strv_push(&argv, interp);
        if (r == 0 && json_is_array(c->interpreter_args))
            r = add_args(&argv, c->interpreter_args);
        if (r == 0)
            r = add_inspect_port(&argv, interp, inst->slot, &sp);
    } else {
        sp.file = c->script;
        r = 0;
    }
    if (r == 0)
        r = strv_push(&argv, c->script);
    if (r == 0 && json_is_array(c->args))
        r = add_args(&argv, c->args);
    if (r == 0)
        r = build_env(d, inst, p->gen, &envp);
    if (r < 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    sp.argv = argv.v;
    sp.envp = envp.v;
    sp.cwd = c->cwd;
    if ((r = resolve_identity(c, &sp, err, errlen)) < 0)
        goto out;

    sp.autorestart = c->autorestart;
    sp.min_uptime_ms = c->min_uptime_ms;
    sp.max_restarts = c->max_restarts;
    sp.restart_delay_ms = c->restart_delay_ms;
    sp.exp_backoff_ms = c->exp_backoff_ms;
    size_t i;
    json_t *e;
    json_array_foreach(c->stop_exit_codes, i, e) if (sp.n_stop_exit_codes < SPEC_MAX_STOP_CODES)
        sp.stop_exit_codes[sp.n_stop_exit_codes++] = (int)json_integer_value(e);
    sp.drain_timeout_ms = c->drain_timeout_ms;
    sp.kill_signal = c->kill_signal;
    sp.kill_timeout_ms = c->kill_timeout_ms;
    sp.shutdown_with_message = c->shutdown_with_message;
    sp.restarts = p->restarts;
    sp.created_at = inst->created_at;
    sp.start_now = p->start;
    sp.n_listen_fds = p->n_listen_fds;
    sp.listen_fdnames = p->listen_fdnames;
    if (p->lc_passed && lc_cell(inst->slot, p->gen) >= 0) {
        sp.lc_fd = 4 + p->n_listen_fds;
        sp.lc_cell = lc_cell(inst->slot, p->gen);
    }
    if (d->cgroup_base[0]) {
        snprintf(cgroup, sizeof(cgroup), "%s/%lld.%lld", d->cgroup_base, (long long)inst->id,
                 (long long)p->gen);
        sp.cgroup = cgroup;
    }
    /* cluster apps, and any app whose sockets the daemon holds, get the
     * socket-sharing shim and are ready when they listen() */
    /* readiness, the rule (docs/architecture.md): wait_ready waits for the
     * app's word; sockets configured with `listen` are handed over as
     * LISTEN_FDS and the run is online once seen serving them; a cluster app
     * without `listen` gets its sockets through the shim and is online at
     * once, like PM2 (a worker that never listens is not an error), with
     * serving noted when it listens; anything else is online at once */
    int configured = json_array_size(c->listen) > 0;
    int shim = inst_uses_shim(c);
    if (shim && inst_preload_path(d, preload, sizeof(preload)) == 0)
        sp.preload = preload;
    sp.pass_listen_fds = configured;
    sp.metrics_port = c->metrics_port > 0 ? (int)(c->metrics_port + inst->slot) : 0;
    sp.readiness = c->wait_ready ? READY_EXPLICIT
                   : configured  ? READY_LISTEN
                   : shim        ? READY_SERVING
                                 : READY_SPAWN;
    sp.listen_timeout_ms = c->listen_timeout_ms;
    snprintf(notify, sizeof(notify), "%s/%lld.%lld.sock", d->paths.notify_dir, (long long)inst->id,
             (long long)p->gen);
    sp.notify_path = notify;
    int is_node = interp && strcmp(interp, "node") == 0;
    sp.node_ipc = is_node || c->wait_ready || c->shutdown_with_message;

    char pid_file[PATH_MAX];
    if (inst_pid_file(d, inst, pid_file, sizeof(pid_file)) == 0)
        sp.pid_file = pid_file;
    sp.log_out = inst->log_out;
    sp.log_err = inst->log_err;
    sp.log_combined = inst->log_combined;
    /* PM2: a log_date_format alone also turns timestamps on */
    sp.log_time = c->time || c->log_date_format;
    sp.log_date_format = c->log_date_format;
    sp.log_json = c->log_type == LOG_TYPE_JSON;
    sp.log_max_size = (uint64_t)c->max_size;
    sp.log_retain = (int)c->retain;
    sp.log_compress = c->compress;
    sp.log_rotate_interval_ms = c->rotate_interval_ms;

    r = spec_pack(&sp, sb);
    if (r < 0 || sb->len >= FRAME_MAX_INTERNAL - 1024) {
        snprintf(err, errlen, "instance spec too large (environment or arguments)");
        r = -E2BIG;
    }
out:
    strv_free(&argv);
    strv_free(&envp);
    return r;
}

int inst_uses_shim(const struct app_config *c)
{
    return c->exec_mode == EXEC_CLUSTER || json_array_size(c->listen) > 0;
}
