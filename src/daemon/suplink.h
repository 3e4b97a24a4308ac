/* suplink.h - the daemon's link to one instance supervisor (drover-sup).
 *
 * A link is a framed connection carrying kv records (proto/kv.h): requests
 * (cmd=, req=) out; replies (reply=) and state events (event=state) in.
 * Every message from the supervisor carries a full snapshot, which the link
 * copies into inst->snap before waking pending operations. When the link
 * drops, the daemon decides whether the instance is gone (deleted) or its
 * supervisor died (respawn, see supervisor_gone in lifecycle.c). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "daemon/daemon.h"
#include "proto/kv.h"

struct suplink;

/* Called with the reply to a request, or with ok=0 and reply NULL when the
 * link dropped before the reply came (l is then being freed: do not keep
 * it). inst is the link's instance (NULL for a link that has none). The
 * descriptors that came with the reply are in fds; the callback may take
 * one by setting its slot to -1, the rest are closed after it returns. */
typedef void (*suplink_reply_cb)(struct daemon *d, struct suplink *l, struct inst *inst,
                                 const struct kv_msg *reply, int ok, int *fds, unsigned n_fds,
                                 void *data);

/* Starts a supervisor for inst at its current generation, handing it
 * listen_fds (may be 0). start: whether it starts the app at once. On
 * success inst->link is set. Returns 0, or a negative errno with err set. */
int suplink_spawn(struct daemon *d, struct inst *inst, int start, const int *listen_fds,
                  int n_listen_fds, const char *listen_fdnames, char *err, size_t errlen);

/* Wraps an already-connected supervisor socket (adoption) for inst, whose
 * last known state is snap (may be NULL). With inst non-NULL the link
 * becomes the instance's primary link. */
struct suplink *suplink_attach(struct daemon *d, struct inst *inst, int fd, pid_t sup_pid,
                               const struct inst_snap *snap);

/* Sends cmd (with optional extra key=value) to the supervisor; cb (may be
 * NULL) gets the reply. Returns 0 or a negative errno (no link). */
int suplink_request(struct suplink *l, const char *cmd, const char *extra_key,
                    const char *extra_value, suplink_reply_cb cb, void *data);

/* Closes the link without telling anyone (daemon exit or upgrade). */
void suplink_detach(struct suplink *l);

/* Copies a snapshot message into snap. */
void suplink_parse_snapshot(const struct kv_msg *m, struct inst_snap *snap);

/* The supervisor's pid. */
pid_t suplink_pid(const struct suplink *l);

/* The generation of the supervisor (its spec), -1 until known. */
int64_t suplink_gen(const struct suplink *l);

/* Makes l the primary link of inst (adoption); the link must have none. */
void suplink_bind(struct suplink *l, struct inst *inst, int64_t gen);

/* The last snapshot this supervisor sent (its instance shows the snapshot
 * of its primary link only: during a reload, the replacement's state lives
 * here until it takes over). */
const struct inst_snap *suplink_snap(const struct suplink *l);

/* Starts a replacement supervisor for inst (next generation) without making
 * it the instance's primary link: reloads use it, then swap. The new link's
 * snapshot is reachable through suplink_snap. Returns the link or NULL with
 * err set. restarts: the counter the replacement starts from. */
struct suplink *suplink_spawn_replacement(struct daemon *d, struct inst *inst, int64_t gen,
                                          int64_t restarts, const int *listen_fds, int n_listen_fds,
                                          const char *listen_fdnames, char *err, size_t errlen);

/* Makes l the primary link of its instance (reload swap); the previous
 * primary, if any, is detached from the instance and returned (its later
 * events and its exit no longer touch the instance). */
struct suplink *suplink_promote(struct suplink *l);

/* Detaches l from its instance: its later messages and its exit no longer
 * touch the instance (a dismissed replacement, an instance being removed). */
void suplink_disown(struct suplink *l);
