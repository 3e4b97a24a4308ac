/* app_env.h - the environment an app incarnation gets: the daemon's
 * (PM2's variables, the app's env, the starting CLI's env) plus what this
 * supervisor provides for this run: LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES
 * (sd_listen_fds), NOTIFY_SOCKET (sd_notify), DROVER_BROKER and LD_PRELOAD
 * (the socket-sharing shim), NODE_CHANNEL_FD (Node's IPC). Variables the
 * supervisor sets replace same-named ones from the daemon. */
#pragma once

#include <stddef.h>

struct app_env_extras {
    int n_listen_fds;
    const char *listen_fdnames;
    const char *notify_socket; /* a path, "@name", or NULL */
    const char *broker;        /* "@name" or NULL */
    const char *preload;       /* path or NULL */
    int node_channel_fd;       /* -1 when none */
};

/* Builds a NULL-terminated envp (one malloc'd block: free(envp) frees all).
 * When LISTEN_FDS is set, *listen_pid_slot points at the writable entry the
 * child fills with LISTEN_PID (spawn_opts.listen_pid_env); else NULL.
 * Returns NULL on allocation failure. */
char **app_env_build(char *const *base, const struct app_env_extras *x, char **listen_pid_slot);
