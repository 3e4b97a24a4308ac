/* spec.h - what the daemon tells a supervisor about its instance.
 *
 * The daemon sends the spec as the first frame (kv records, see proto/kv.h)
 * on fd 3. Keys:
 *
 *   id, gen, name        instance id, generation (bumped per replacement), app name
 *   sock                 path of this supervisor's control socket
 *   app_json             opaque app config, handed back to a daemon that re-adopts us
 *   file, arg*, env*     what to execve (arg repeats: argv[0], argv[1], ...)
 *   cwd                  working directory
 *   uid, gid, user       drop privileges in the child (optional)
 *   autorestart, min_uptime_ms, max_restarts, restart_delay_ms,
 *   exp_backoff_ms, stop_exit_code*          restart policy (policy.h)
 *   kill_signal, kill_timeout_ms             how to stop
 *   restarts, created_at                     counters carried over from a predecessor
 *   start                1: start the app now, 0: stay stopped
 *   listen_fds           count of listening sockets inherited at fd 4..
 *   listen_fdnames       colon-separated names for LISTEN_FDNAMES
 *   cgroup               cgroup v2 directory to create for the app tree (optional)
 *   preload              path of libdrover-preload.so to inject (cluster apps)
 *   readiness            spawn (online at once), listen (listen() on a shared
 *                        socket, READY=1 or IPC 'ready'), explicit (READY=1 or
 *                        IPC 'ready' only: wait_ready)
 *   listen_timeout_ms    readiness deadline; missing it is a failure
 *   node_ipc             offer Node's IPC channel (NODE_CHANNEL_FD)
 *   shutdown_with_message  stop by sending 'shutdown' over the IPC channel
 *   log_out, log_err, log_combined, log_time, log_date_format, log_type,
 *   log_max_size, log_retain, log_compress, log_rotate_interval_ms
 *
 * The spec owns one copy of the payload; every string points into it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "logs/logger.h"

struct sup_spec {
    char *payload; /* owned; all strings below point into it */
    int64_t id, gen;
    const char *name;
    const char *sock_path;
    const char *app_json;
    const char *file;
    char **argv; /* NULL-terminated, owned array */
    char **envp; /* NULL-terminated, owned array */
    const char *cwd;
    int set_ids;
    uid_t uid;
    gid_t gid;
    const char *user;
    int autorestart;
    int64_t min_uptime_ms, max_restarts, restart_delay_ms, exp_backoff_ms;
    int stop_exit_codes[32];
    size_t n_stop_exit_codes;
    int kill_signal;
    int64_t kill_timeout_ms;
    int64_t restarts, created_at;
    int start_now;
    int n_listen_fds;
    const char *listen_fdnames;
    const char *cgroup;
    const char *preload;
    enum { READY_SPAWN, READY_LISTEN, READY_EXPLICIT } readiness;
    int64_t listen_timeout_ms;
    int node_ipc;
    int shutdown_with_message;
    struct log_config log;
};

/* Decodes a spec from a kv payload of len bytes; takes ownership of payload
 * (malloc'd) in every case. Returns 0, or -EINVAL with *why naming the
 * first bad or missing key. */
int sup_spec_parse(char *payload, size_t len, struct sup_spec *out, const char **why);

/* Frees what sup_spec_parse allocated. */
void sup_spec_free(struct sup_spec *s);
