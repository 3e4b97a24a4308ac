/* pm2_shape.c - `pm2 jlist` compatibility. */
#include "cli/pm2_shape.h"

#include <pwd.h>
#include <string.h>
#include <unistd.h>

static json_t *get_or_null(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return v ? json_incref(v) : json_null();
}

/* PM2 keeps an app's custom metrics (pmx/@pm2/io) in axm_monitor, as
 * {"name": {"value": v, "unit": u}}: drover's connection figures go there,
 * where PM2 tools (pm2 describe, dashboards reading jlist) show them. */
static json_t *axm_monitor(json_t *conns)
{
    json_t *m = json_object();
    if (!json_is_object(conns))
        return m;
    json_t *open = json_object_get(conns, "open"), *acc = json_object_get(conns, "accepted");
    if (json_is_integer(open))
        json_object_set_new(m, "Open connections",
                            json_pack("{s:O, s:s}", "value", open, "unit", "connections"));
    if (json_is_integer(acc)) {
        json_object_set_new(m, "Accepted connections",
                            json_pack("{s:O, s:s}", "value", acc, "unit", "connections"));
        json_object_set_new(m, "Accepts/sec",
                            json_pack("{s:f, s:s}", "value",
                                      json_number_value(json_object_get(conns, "accept_rate")),
                                      "unit", "conn/s"));
    }
    return m;
}

json_t *pm2_shape_process(json_t *p)
{
    json_t *config = json_object_get(p, "config");
    const char *mode = json_string_value(json_object_get(p, "mode"));
    int cluster = mode && !strcmp(mode, "cluster");
    const char *status = json_string_value(json_object_get(p, "status"));
    json_int_t pid = json_integer_value(json_object_get(p, "pid"));
    json_t *started = json_object_get(p, "started_at");

    /* what the app got: the environment it inherited (jlist asks for it),
     * minus filter_env, then its own */
    json_t *env = json_object();
    json_t *base = json_object_get(p, "base_env");
    json_t *filter = json_object_get(config, "filter_env");
    const char *k;
    json_t *v;
    if (json_is_object(base) && !json_is_true(filter)) {
        json_object_foreach(base, k, v)
        {
            size_t i;
            json_t *part;
            int drop = 0;
            json_array_foreach(filter, i, part) drop |= json_is_string(part) &&
                                                        *json_string_value(part) &&
                                                        strstr(k, json_string_value(part)) != NULL;
            if (!drop)
                json_object_set(env, k, v);
        }
    }
    json_t *cenv = json_object_get(config, "env");
    if (json_is_object(cenv))
        json_object_update(env, cenv);

    /* PM2's pm2_env holds the app's whole configuration; the fields below
     * are what it derives (and names differently) */
    json_t *pm2_env = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(config, key, value)
    {
        if (strcmp(key, "env") && strncmp(key, "env_", 4))
            json_object_set(pm2_env, key, value);
    }
    json_object_set(pm2_env, "name", json_object_get(p, "name"));
    json_object_set(pm2_env, "namespace", json_object_get(p, "namespace"));
    json_object_set(pm2_env, "pm_id", json_object_get(p, "id"));
    json_object_set_new(pm2_env, "status", json_string(status ? status : "stopped"));
    json_object_set(pm2_env, "restart_time", json_object_get(p, "restarts"));
    json_object_set(pm2_env, "unstable_restarts", json_object_get(p, "unstable_restarts"));
    json_object_set_new(pm2_env, "pm_uptime",
                        json_is_integer(started) ? json_incref(started)
                                                 : json_incref(json_object_get(p, "created_at")));
    json_object_set(pm2_env, "created_at", json_object_get(p, "created_at"));
    json_object_set_new(pm2_env, "exec_mode", json_string(cluster ? "cluster_mode" : "fork_mode"));
    json_object_set(pm2_env, "instances", json_object_get(p, "instances"));
    json_object_set_new(pm2_env, "pm_exec_path", get_or_null(p, "script"));
    json_object_set_new(pm2_env, "pm_cwd", get_or_null(p, "cwd"));
    json_object_set_new(pm2_env, "pm_out_log_path", get_or_null(p, "log_out"));
    json_object_set_new(pm2_env, "pm_err_log_path", get_or_null(p, "log_err"));
    json_object_set_new(pm2_env, "pm_log_path", get_or_null(p, "log_combined"));
    json_object_set_new(pm2_env, "pm_pid_path", get_or_null(p, "pid_file"));
    const struct passwd *pw = getpwuid(geteuid());
    json_object_set_new(pm2_env, "username", pw ? json_string(pw->pw_name) : json_null());
    json_object_set_new(pm2_env, "exec_interpreter", get_or_null(p, "interpreter"));
    json_object_set_new(pm2_env, "interpreter", get_or_null(p, "interpreter"));
    json_t *ia = json_object_get(config, "interpreter_args");
    json_object_set_new(pm2_env, "node_args", ia ? json_incref(ia) : json_array());
    json_object_set_new(pm2_env, "args", get_or_null(p, "args"));
    static const char *const true_by_default[] = {"autorestart", "autostart", "treekill",
                                                  "vizion",      "pmx",       "automation"};
    for (size_t t = 0; t < sizeof(true_by_default) / sizeof(true_by_default[0]); t++) {
        json_t *set = json_object_get(config, true_by_default[t]);
        json_object_set_new(pm2_env, true_by_default[t], set ? json_incref(set) : json_true());
    }
    json_t *watch = json_object_get(config, "watch");
    json_object_set_new(pm2_env, "watch", watch ? json_incref(watch) : json_false());
    json_object_set_new(pm2_env, "instance_var",
                        json_object_get(config, "instance_var")
                            ? json_incref(json_object_get(config, "instance_var"))
                            : json_string("NODE_APP_INSTANCE"));
    json_object_set(pm2_env, "NODE_APP_INSTANCE", json_object_get(p, "slot"));
    json_object_set_new(pm2_env, "exit_code", get_or_null(p, "exit_code"));
    json_object_set_new(pm2_env, "env", env);
    json_object_set_new(pm2_env, "versioning", json_null());
    json_object_set_new(pm2_env, "version", json_string("N/A"));
    /* drover's own, under a prefix PM2 tools ignore */
    json_object_set_new(pm2_env, "drover_reason", get_or_null(p, "reason"));
    json_object_set_new(pm2_env, "drover_log_dropped_bytes", get_or_null(p, "log_dropped"));
    json_object_set_new(pm2_env, "drover_supervisor_pid", get_or_null(p, "sup_pid"));
    json_object_set_new(pm2_env, "axm_monitor", axm_monitor(json_object_get(p, "connections")));

    json_t *out = json_object();
    json_object_set_new(out, "pid", json_integer(pid));
    json_object_set(out, "name", json_object_get(p, "name"));
    json_object_set(out, "pm_id", json_object_get(p, "id"));
    json_object_set_new(out, "monit",
                        json_pack("{s:O, s:O}", "memory", json_object_get(p, "memory"), "cpu",
                                  json_object_get(p, "cpu")));
    json_object_set_new(out, "pm2_env", pm2_env);
    return out;
}

json_t *pm2_shape_list(json_t *processes)
{
    json_t *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(processes, i, p) json_array_append_new(out, pm2_shape_process(p));
    return out;
}
