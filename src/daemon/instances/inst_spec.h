/* inst_spec.h - turning an app's config into the spec a supervisor runs
 * (proto/spec.h): argv with the interpreter, the environment PM2 apps
 * expect, log paths, restart policy. */
#pragma once

#include "base/strbuf.h"
#include "daemon/daemon.h"

/* Computes the instance's log paths from its app config (PM2 rules: cluster
 * or several instances get "-<id>" unless merge_logs; "/dev/null" or
 * disable_logs turns a stream off) into inst->log_*. */
int inst_resolve_log_paths(const struct daemon *d, struct inst *inst);

/* The instance's pid file (PM2's pm_pid_path): <home>/pids/<name>-<id>.pid,
 * or pid_file (against cwd) with "-<id>" before its extension. Returns 0
 * or -ENAMETOOLONG. */
int inst_pid_file(const struct daemon *d, const struct inst *inst, char *out, size_t len);

/* Whether the app's instances get the socket-sharing shim: cluster apps,
 * and any app whose sockets the daemon holds (`listen`). */
int inst_uses_shim(const struct app_config *c);

/* Finds libdrover-preload.so (next to the daemon, or the installed lib
 * dir). Returns 0 or -ENOENT. */
int inst_preload_path(const struct daemon *d, char *out, size_t len);

/* The supervisor control socket path of inst at generation gen. */
int inst_sup_socket_path(const struct daemon *d, const struct inst *inst, int64_t gen, char *out,
                         size_t len);

/* What a new supervisor starts from. */
struct spec_params {
    int64_t gen;      /* the supervisor's generation */
    int64_t restarts; /* restart counter to carry over */
    int start;        /* start the app at once */
    int n_listen_fds; /* sockets passed at fd 4.. */
    const char *listen_fdnames;
    int lc_passed; /* the least_conn counts map follows them (proto/least_conn.h) */
};

/* Builds the spec for inst and packs it into sb. Returns 0, or a negative errno with
 * err filled (e.g. an unknown user). */
int inst_build_spec(const struct daemon *d, const struct inst *inst, const struct spec_params *p,
                    struct strbuf *sb, char *err, size_t errlen);

/* Chooses the interpreter for a script by extension (.js/.mjs/.cjs node,
 * .py python3, .sh bash, .rb ruby, .php php, .pl perl); NULL: exec directly. */
const char *interpreter_for_script(const char *script);
