/* snapshot.h - the state of one instance as its supervisor reports it:
 * every message from a supervisor carries one, the daemon keeps the last.
 * One struct, one field table (snapshot_fields), packed by the supervisor
 * (sup/control.c) and unpacked by the daemon (daemon/suplink.c, adopt.c).
 *
 * Readiness is tied to a run: `run` counts the runs this supervisor
 * started (0: none yet), `ready` says whether the current one is ready. A
 * waiter that remembers (gen, run) knows a later run came up without
 * comparing the clocks of two processes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "proto/kv.h"
#include "proto/kvcodec.h"
#include "proto/status.h"

#define SNAPSHOT_NAME_MAX 129 /* CFG_MAX_NAME_LEN + 1 */
#define SNAPSHOT_IPC_KEEP 3

struct inst_snapshot {
    int64_t id, gen;
    char name[SNAPSHOT_NAME_MAX];
    int status; /* enum inst_status */
    int sup_pid;
    int pid;            /* app main pid, 0 when not running */
    uint64_t pid_start; /* its start time (procfs.h), tells a recycled pid apart */
    int64_t run;        /* runs started by this supervisor */
    int ready;          /* the current run is ready */
    int serving;        /* the current run was seen using its sockets (spec.h) */
    int64_t restarts, unstable_restarts;
    int64_t started_at; /* wall ms of the current run, 0 when none */
    int64_t created_at;
    int exit_code; /* last exit: code, or -1 (killed by exit_signal, or none yet) */
    int exit_signal;
    int64_t last_exit_at; /* wall ms, 0 = never */
    char reason[256];     /* why errored / the last notable event */
    char cgroup[256];
    uint64_t log_lines, log_bytes, log_dropped, log_rotations;
    int listen_fds;
    char notify_status[200]; /* the app's last sd_notify STATUS= */
    char ipc_msgs[SNAPSHOT_IPC_KEEP][200];
    int n_ipc_msgs;
};

/* Appends the snapshot's records. Returns 0 or a negative errno. */
int snapshot_pack(const struct inst_snapshot *s, struct strbuf *sb);

/* Fills *s from m. Returns 0 or -EPROTO (*bad names the field). */
int snapshot_unpack(const struct kv_msg *m, struct inst_snapshot *s, const char **bad);
