/* spec.c - decoding the supervisor's instance spec from kv records. */
#include "sup/spec.h"
#include "proto/kv.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static char **collect(const struct kv_msg *m, const char *key)
{
    size_t n = kv_count(m, key), pos = 0, i = 0;
    char **arr = calloc(n + 1, sizeof(char *));
    if (!arr)
        return NULL;
    const char *v;
    while ((v = kv_next(m, key, &pos)))
        arr[i++] = (char *)v;
    return arr;
}

static const char *opt(const struct kv_msg *m, const char *key)
{
    const char *v = kv_get(m, key);
    return (v && *v) ? v : NULL;
}

int sup_spec_parse(char *payload, size_t len, struct sup_spec *s, const char **why)
{
    struct kv_msg m;
    memset(s, 0, sizeof(*s));
    s->payload = payload;
    *why = "payload";
    if (kv_parse(payload, len, &m) < 0)
        return -EINVAL;

    s->id = kv_get_i64(&m, "id", -1);
    s->gen = kv_get_i64(&m, "gen", 0);
    s->name = kv_get(&m, "name");
    s->sock_path = kv_get(&m, "sock");
    s->app_json = kv_get(&m, "app_json");
    s->file = kv_get(&m, "file");
    if (s->id < 0 && (*why = "id"))
        return -EINVAL;
    if (!s->name && (*why = "name"))
        return -EINVAL;
    if (!s->sock_path && (*why = "sock"))
        return -EINVAL;
    if (!s->file && (*why = "file"))
        return -EINVAL;
    if (!s->app_json)
        s->app_json = "{}";
    s->argv = collect(&m, "arg");
    s->envp = collect(&m, "env");
    if (!s->argv || !s->envp)
        return -ENOMEM;
    if (!s->argv[0] && (*why = "arg"))
        return -EINVAL;
    s->cwd = opt(&m, "cwd");
    if (kv_get(&m, "uid")) {
        s->set_ids = 1;
        s->uid = (uid_t)kv_get_i64(&m, "uid", 0);
        s->gid = (gid_t)kv_get_i64(&m, "gid", 0);
        s->user = opt(&m, "user");
    }
    s->autorestart = (int)kv_get_i64(&m, "autorestart", 1);
    s->min_uptime_ms = kv_get_i64(&m, "min_uptime_ms", 1000);
    s->max_restarts = kv_get_i64(&m, "max_restarts", 16);
    s->restart_delay_ms = kv_get_i64(&m, "restart_delay_ms", 0);
    s->exp_backoff_ms = kv_get_i64(&m, "exp_backoff_ms", 0);
    size_t pos = 0;
    const char *v;
    while ((v = kv_next(&m, "stop_exit_code", &pos)) &&
           s->n_stop_exit_codes < sizeof(s->stop_exit_codes) / sizeof(int))
        s->stop_exit_codes[s->n_stop_exit_codes++] = atoi(v);
    s->kill_signal = (int)kv_get_i64(&m, "kill_signal", SIGINT);
    s->kill_timeout_ms = kv_get_i64(&m, "kill_timeout_ms", 5000);
    if ((s->kill_signal <= 0 || s->kill_signal >= 65) && (*why = "kill_signal"))
        return -EINVAL;
    s->restarts = kv_get_i64(&m, "restarts", 0);
    s->created_at = kv_get_i64(&m, "created_at", 0);
    s->start_now = (int)kv_get_i64(&m, "start", 1);
    s->n_listen_fds = (int)kv_get_i64(&m, "listen_fds", 0);
    if ((s->n_listen_fds < 0 || s->n_listen_fds > 16) && (*why = "listen_fds"))
        return -EINVAL;
    s->listen_fdnames = opt(&m, "listen_fdnames");
    s->cgroup = opt(&m, "cgroup");
    s->preload = opt(&m, "preload");
    const char *ready = opt(&m, "readiness");
    if (!ready || !strcmp(ready, "spawn"))
        s->readiness = READY_SPAWN;
    else if (!strcmp(ready, "listen"))
        s->readiness = READY_LISTEN;
    else if (!strcmp(ready, "explicit"))
        s->readiness = READY_EXPLICIT;
    else {
        *why = "readiness";
        return -EINVAL;
    }
    s->listen_timeout_ms = kv_get_i64(&m, "listen_timeout_ms", 8000);
    s->node_ipc = (int)kv_get_i64(&m, "node_ipc", 0);
    s->shutdown_with_message = (int)kv_get_i64(&m, "shutdown_with_message", 0);

    s->log.app_name = s->name;
    s->log.instance_id = s->id;
    s->log.out_path = opt(&m, "log_out");
    s->log.err_path = opt(&m, "log_err");
    s->log.combined_path = opt(&m, "log_combined");
    s->log.timestamps = (int)kv_get_i64(&m, "log_time", 0);
    s->log.date_format = opt(&m, "log_date_format");
    const char *type = opt(&m, "log_type");
    s->log.format = (type && strcmp(type, "json") == 0) ? LOG_FORMAT_JSON : LOG_FORMAT_RAW;
    s->log.max_size = (uint64_t)kv_get_i64(&m, "log_max_size", 0);
    s->log.retain = (unsigned)kv_get_i64(&m, "log_retain", 0);
    s->log.compress = (int)kv_get_i64(&m, "log_compress", 0);
    s->log.rotate_interval_ms = kv_get_i64(&m, "log_rotate_interval_ms", 0);
    *why = NULL;
    return 0;
}

void sup_spec_free(struct sup_spec *s)
{
    free(s->argv);
    free(s->envp);
    free(s->payload);
    memset(s, 0, sizeof(*s));
}
