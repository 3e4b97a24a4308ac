/* spec.c - the supervisor's instance spec on the wire (spec.h). */
#include "proto/spec.h"
#include "proto/least_conn.h"
#include "proto/kvcodec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S struct inst_spec
static const struct kvc_field fields[] = {
    KVC_FIELD(S, id, KVC_I64),
    KVC_FIELD(S, gen, KVC_I64),
    KVC_FIELD(S, name, KVC_STR),
    KVC_FIELD(S, sock_path, KVC_STR),
    KVC_FIELD(S, file, KVC_STR),
    KVC_FIELD(S, argv, KVC_STRV),
    KVC_FIELD(S, envp, KVC_STRV),
    KVC_FIELD(S, cwd, KVC_STR),
    KVC_FIELD(S, set_ids, KVC_INT),
    KVC_FIELD(S, uid, KVC_INT),
    KVC_FIELD(S, gid, KVC_INT),
    KVC_FIELD(S, user, KVC_STR),
    KVC_FIELD(S, autorestart, KVC_INT),
    KVC_FIELD(S, min_uptime_ms, KVC_I64),
    KVC_FIELD(S, max_restarts, KVC_I64),
    KVC_FIELD(S, restart_delay_ms, KVC_I64),
    KVC_FIELD(S, exp_backoff_ms, KVC_I64),
    KVC_INTV_FIELD(S, stop_exit_codes, n_stop_exit_codes),
    KVC_FIELD(S, drain_timeout_ms, KVC_I64),
    KVC_FIELD(S, kill_signal, KVC_INT),
    KVC_FIELD(S, kill_timeout_ms, KVC_I64),
    KVC_FIELD(S, shutdown_with_message, KVC_INT),
    KVC_FIELD(S, restarts, KVC_I64),
    KVC_FIELD(S, created_at, KVC_I64),
    KVC_FIELD(S, start_now, KVC_INT),
    KVC_FIELD(S, n_listen_fds, KVC_INT),
    KVC_FIELD(S, listen_fdnames, KVC_STR),
    KVC_FIELD(S, pass_listen_fds, KVC_INT),
    KVC_FIELD(S, preload, KVC_STR),
    KVC_FIELD(S, readiness, KVC_INT),
    KVC_FIELD(S, listen_timeout_ms, KVC_I64),
    KVC_FIELD(S, node_ipc, KVC_INT),
    KVC_FIELD(S, inspect_port, KVC_INT),
    KVC_FIELD(S, metrics_port, KVC_INT),
    KVC_FIELD(S, lc_fd, KVC_INT),
    KVC_FIELD(S, lc_cell, KVC_INT),
    KVC_FIELD(S, notify_path, KVC_STR),
    KVC_FIELD(S, cgroup, KVC_STR),
    KVC_FIELD(S, log_out, KVC_STR),
    KVC_FIELD(S, log_err, KVC_STR),
    KVC_FIELD(S, log_combined, KVC_STR),
    KVC_FIELD(S, pid_file, KVC_STR),
    KVC_FIELD(S, log_time, KVC_INT),
    KVC_FIELD(S, log_date_format, KVC_STR),
    KVC_FIELD(S, log_json, KVC_INT),
    KVC_FIELD(S, log_max_size, KVC_U64),
    KVC_FIELD(S, log_retain, KVC_INT),
    KVC_FIELD(S, log_compress, KVC_INT),
    KVC_FIELD(S, log_rotate_interval_ms, KVC_I64),
};
#undef S
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

int spec_pack(const struct inst_spec *s, struct strbuf *sb)
{
    return kvc_pack(fields, N_FIELDS, s, sb);
}

/* Checks what the types alone do not. */
static int check(const struct inst_spec *s, const char **bad)
{
    if (s->id < 0)
        return *bad = "id", -EINVAL;
    if (s->gen < 0)
        return *bad = "gen", -EINVAL;
    if (!s->name || !*s->name)
        return *bad = "name", -EINVAL;
    if (!s->sock_path || !*s->sock_path)
        return *bad = "sock_path", -EINVAL;
    if (!s->file || !*s->file)
        return *bad = "file", -EINVAL;
    if (!s->argv || !s->argv[0])
        return *bad = "argv", -EINVAL;
    if (s->kill_signal <= 0 || s->kill_signal >= 65)
        return *bad = "kill_signal", -EINVAL;
    if (s->n_listen_fds < 0 || s->n_listen_fds > SPEC_MAX_LISTEN_FDS)
        return *bad = "n_listen_fds", -EINVAL;
    if (s->lc_fd && s->lc_fd != 4 + s->n_listen_fds)
        return *bad = "lc_fd", -EINVAL;
    if (s->lc_cell < 0 || s->lc_cell >= LC_MAX_SLOTS * LC_CELLS_PER_SLOT)
        return *bad = "lc_cell", -EINVAL;
    if ((unsigned)s->readiness > READY_EXPLICIT)
        return *bad = "readiness", -EINVAL;
    const struct {
        const char *key;
        int64_t value;
    } non_negative[] = {
        {"kill_timeout_ms", s->kill_timeout_ms},   {"listen_timeout_ms", s->listen_timeout_ms},
        {"min_uptime_ms", s->min_uptime_ms},       {"restart_delay_ms", s->restart_delay_ms},
        {"exp_backoff_ms", s->exp_backoff_ms},     {"log_retain", s->log_retain},
        {"drain_timeout_ms", s->drain_timeout_ms},
    };
    for (size_t i = 0; i < sizeof(non_negative) / sizeof(non_negative[0]); i++)
        if (non_negative[i].value < 0)
            return *bad = non_negative[i].key, -EINVAL;
    return 0;
}

int spec_unpack(char *payload, size_t len, struct inst_spec *s, const char **bad)
{
    memset(s, 0, sizeof(*s));
    s->payload = payload;
    struct kv_msg m;
    *bad = "payload";
    if (kv_parse(payload, len, &m) < 0)
        return -EPROTO;
    int r = kvc_unpack(fields, N_FIELDS, &m, s, bad);
    if (r < 0)
        return r;
    return check(s, bad);
}

void spec_free(struct inst_spec *s)
{
    kvc_free(fields, N_FIELDS, s);
    free(s->payload);
    memset(s, 0, sizeof(*s));
}
