/* inst_spec.h - turning an app's config into the spec a supervisor runs
 * (sup/spec.h): argv with the interpreter, the environment PM2 apps expect,
 * log paths, restart policy. */
#pragma once

#include "base/strbuf.h"
#include "daemon/daemon.h"

/* Computes the instance's log paths from its app config (PM2 rules: cluster
 * or several instances get "-<id>" unless merge_logs; "/dev/null" or
 * disable_logs turns a stream off) into inst->log_*. */
int inst_resolve_log_paths(const struct daemon *d, struct inst *inst);

/* The supervisor control socket path of inst at its current generation. */
int inst_sup_socket_path(const struct daemon *d, const struct inst *inst, char *out, size_t len);

/* Builds the kv spec for inst into sb. start: 1 to start the app at once.
 * n_listen_fds: sockets that will be passed at fd 4.. Returns 0, or
 * -EINVAL with err filled (e.g. an unknown user). */
int inst_build_spec(const struct daemon *d, const struct inst *inst, int start, int n_listen_fds,
                    const char *listen_fdnames, struct strbuf *sb, char *err, size_t errlen);

/* Chooses the interpreter for a script by extension (.js/.mjs/.cjs node,
 * .py python3, .sh bash, .rb ruby, .php php, .pl perl); NULL: exec directly. */
const char *interpreter_for_script(const char *script);
