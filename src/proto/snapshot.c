/* snapshot.c - an instance's state on the wire (snapshot.h). */
#include "proto/snapshot.h"

#include <errno.h>
#include <string.h>

#define S struct inst_snapshot
static const struct kvc_field fields[] = {
    KVC_FIELD(S, id, KVC_I64),
    KVC_FIELD(S, gen, KVC_I64),
    KVC_CHARS_FIELD(S, name),
    KVC_FIELD(S, status, KVC_INT),
    KVC_FIELD(S, sup_pid, KVC_INT),
    KVC_FIELD(S, pid, KVC_INT),
    KVC_FIELD(S, pid_start, KVC_U64),
    KVC_FIELD(S, run, KVC_I64),
    KVC_FIELD(S, ready, KVC_INT),
    KVC_FIELD(S, serving, KVC_INT),
    KVC_FIELD(S, restarts, KVC_I64),
    KVC_FIELD(S, unstable_restarts, KVC_I64),
    KVC_FIELD(S, started_at, KVC_I64),
    KVC_FIELD(S, created_at, KVC_I64),
    KVC_FIELD(S, exit_code, KVC_INT),
    KVC_FIELD(S, exit_signal, KVC_INT),
    KVC_FIELD(S, last_exit_at, KVC_I64),
    KVC_CHARS_FIELD(S, reason),
    KVC_CHARS_FIELD(S, cgroup),
    KVC_FIELD(S, log_lines, KVC_U64),
    KVC_FIELD(S, log_bytes, KVC_U64),
    KVC_FIELD(S, log_dropped, KVC_U64),
    KVC_FIELD(S, log_rotations, KVC_U64),
    KVC_FIELD(S, listen_fds, KVC_INT),
    KVC_CHARS_FIELD(S, notify_status),
    KVC_CHARSV_FIELD(S, ipc_msgs, n_ipc_msgs),
};
#undef S

int snapshot_pack(const struct inst_snapshot *s, struct strbuf *sb)
{
    return kvc_pack(fields, sizeof(fields) / sizeof(fields[0]), s, sb);
}

int snapshot_unpack(const struct kv_msg *m, struct inst_snapshot *s, const char **bad)
{
    memset(s, 0, sizeof(*s));
    int r = kvc_unpack(fields, sizeof(fields) / sizeof(fields[0]), m, s, bad);
    if (r == 0 && (s->status < 0 || s->status >= STATUS__COUNT)) {
        *bad = "status";
        r = -EPROTO;
    }
    return r;
}
