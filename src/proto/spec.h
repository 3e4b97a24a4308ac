/* spec.h - what the daemon tells a new supervisor about its instance: the
 * first frame on fd 3. One struct, one field table (spec.c): packed by the
 * daemon (daemon/inst_spec.c builds it from the app's config), unpacked by
 * the supervisor (sup/main.c). Keys on the wire are the member names.
 *
 *   identity     id, gen, name, sock_path (this supervisor's socket)
 *   what to run  file, argv, envp, cwd, set_ids/uid/gid/user
 *   policy       autorestart, min_uptime_ms, max_restarts, restart_delay_ms,
 *                exp_backoff_ms, stop_exit_codes (sup/policy.h)
 *   stopping     drain_timeout_ms (sup/drain.h; 0: no drain), kill_signal,
 *                kill_timeout_ms, shutdown_with_message
 *   carried over restarts, created_at (from a predecessor)
 *   start_now    start the app at once (else stay stopped)
 *   sockets      n_listen_fds inherited at fd 4.., listen_fdnames; pass_listen_fds:
 *                the app gets them (LISTEN_FDS) or only the shim does, through
 *                the broker (preload: the socket-sharing shim) - one way per app
 *   readiness    READY_* below, listen_timeout_ms, node_ipc, notify_path
 *   inspect_port node's inspector port for this instance (config/node_inspect.h),
 *                0: none; the broker never shares it (the app binds it itself)
 *   metrics_port this instance's own metrics port (metrics_port + slot), 0:
 *                none; never shared either
 *   lc_fd        balancing least_conn: the counts map (proto/least_conn.h),
 *                inherited at fd 4 + n_listen_fds; 0: none. lc_cell: this
 *                supervisor's cell in it
 *   cgroup       cgroup v2 directory for the app tree (optional)
 *   logs         log_* (logs/logger.h)
 *
 * The app's config itself is not in the spec: state.json is the daemon's
 * record of it, the spec only what the supervisor acts on. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "proto/kv.h"

/* When a run counts as ready (online); docs/architecture.md, "Readiness".
 * Whatever the mode, a run is also marked *serving* once it is seen using
 * its sockets: listen() on a shared socket (shim), waiting on an inherited
 * one (sup/serve_probe.h), READY=1 or IPC 'ready'. A reload of an app whose
 * runs serve waits for the replacement to serve. */
enum readiness {
    READY_SPAWN,    /* at once: the app runs (no sockets handed to it) */
    READY_SERVING,  /* at once, like PM2; serving is noted when it comes (shim apps) */
    READY_LISTEN,   /* once serving (apps given LISTEN_FDS); missing listen_timeout: errored */
    READY_EXPLICIT, /* READY=1 or IPC 'ready' only (wait_ready); missing it: errored */
};

#define SPEC_MAX_STOP_CODES 32
#define SPEC_MAX_LISTEN_FDS 16

struct inst_spec {
    int64_t id, gen;
    const char *name;
    const char *sock_path;
    const char *file;
    char **argv; /* NULL-terminated */
    char **envp; /* NULL-terminated */
    const char *cwd;
    int set_ids, uid, gid;
    const char *user;
    int autorestart;
    int64_t min_uptime_ms, max_restarts, restart_delay_ms, exp_backoff_ms;
    int stop_exit_codes[SPEC_MAX_STOP_CODES];
    int n_stop_exit_codes;
    int64_t drain_timeout_ms;
    int kill_signal;
    int64_t kill_timeout_ms;
    int shutdown_with_message;
    int64_t restarts, created_at;
    int start_now;
    int n_listen_fds;
    const char *listen_fdnames;
    int pass_listen_fds;
    const char *preload;
    int readiness; /* enum readiness */
    int64_t listen_timeout_ms;
    int node_ipc;
    int inspect_port;
    int metrics_port;
    int lc_fd, lc_cell;
    const char *notify_path; /* NOTIFY_SOCKET's file; NULL: an abstract name */
    const char *cgroup;
    const char *log_out, *log_err, *log_combined;
    const char *pid_file; /* the run's pid is written there, removed when it ends; NULL: none */
    int log_time;
    const char *log_date_format;
    int log_json;
    uint64_t log_max_size;
    int log_retain;
    int log_compress;
    int64_t log_rotate_interval_ms;

    char *payload; /* spec_unpack: the frame the strings point into, owned */
};

/* Appends the spec's records. Returns 0 or a negative errno (-E2BIG past
 * sb's limit). */
int spec_pack(const struct inst_spec *s, struct strbuf *sb);

/* Decodes payload (malloc'd, len bytes; taken in every case) into *s and
 * checks it: required keys present, values in range, argv non-empty.
 * Returns 0, or -EPROTO / -EINVAL with *bad naming the key. Free with
 * spec_free in every case. */
int spec_unpack(char *payload, size_t len, struct inst_spec *s, const char **bad);

/* Frees what spec_unpack allocated. */
void spec_free(struct inst_spec *s);
