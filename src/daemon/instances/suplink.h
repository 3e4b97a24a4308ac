/* suplink.h - the daemon's link to one instance supervisor (drover-sup).
 *
 * A link is a framed connection carrying kv records (proto/kv.h): requests
 * (cmd=, req=) out; replies (reply=) and state events (event=state) in.
 * Every message from the supervisor carries a full snapshot
 * (proto/snapshot.h), which the link keeps; the link's instance, when the
 * link is its primary, gets a copy. When the link drops, the daemon decides
 * whether the instance is gone (deleted) or its supervisor died (see
 * supervisor_gone in lifecycle.h).
 *
 * Ownership: a link frees itself when its connection closes (after
 * failing its pending requests); suplink_detach frees it at once without
 * telling anyone. A link points at its instance (inst may be NULL: a
 * dismissed supervisor); the instance points back through link/next_link. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "daemon/daemon.h"
#include "proto/kv.h"

struct conn_stats;
struct suplink;

/* Called with the reply to a request, or with ok=0 and reply NULL when the
 * link dropped before the reply came (l is then being freed: do not keep
 * it). inst is the link's instance (NULL for a link that has none). The
 * descriptors that came with the reply are in fds; the callback may take
 * one by setting its slot to -1, the rest are closed after it returns. */
typedef void (*suplink_reply_cb)(struct daemon *d, struct suplink *l, struct inst *inst,
                                 const struct kv_msg *reply, int ok, int *fds, unsigned n_fds,
                                 void *data);

/* Starts a supervisor for inst at generation gen with the spec built from
 * the app's config (inst_spec.h) and, when start, the app's sockets for its
 * slot (a supervisor that does not run its app holds none).
 * restarts: the counter it starts from; start: run the app at once. The
 * link points at inst but is installed nowhere: the caller makes it the
 * primary (lifecycle.h) or a replacement. Returns the link, or NULL with
 * err set. */
struct suplink *suplink_spawn(struct daemon *d, struct inst *inst, int64_t gen, int64_t restarts,
                              int start, char *err, size_t errlen);

/* Wraps an already-connected supervisor socket (adoption): a link with no
 * instance yet (suplink_bind gives it one). */
struct suplink *suplink_attach(struct daemon *d, int fd, pid_t sup_pid);

/* Sends cmd (with optional extra key=value) to the supervisor; cb (may be
 * NULL) gets the reply. Returns 0 or a negative errno (no link). */
int suplink_request(struct suplink *l, const char *cmd, const char *extra_key,
                    const char *extra_value, suplink_reply_cb cb, void *data);

/* Sends cmd ("start", "restart") with the sockets of the instance's slot
 * attached and "sockets=1": they replace every socket the supervisor holds
 * (it drops them on stop), so its next run inherits exactly the daemon's.
 * Returns 0 or a negative errno (no link). */
int suplink_request_with_sockets(struct suplink *l, const char *cmd);

/* Closes the link without telling anyone (daemon exit or upgrade). */
void suplink_detach(struct suplink *l);

/* Asks the supervisor, once, for its page of connection counters
 * (proto/conn_stats.h) when the link's instance has the shim; the page is
 * mapped when the reply comes. */
void suplink_want_conn_stats(struct suplink *l);

/* The supervisor's connection counters, or NULL (no shim, not there yet,
 * or the supervisor has none). Valid while the link lives. */
const struct conn_stats *suplink_conn_stats(const struct suplink *l);

/* The supervisor's pid. */
pid_t suplink_pid(const struct suplink *l);

/* The generation of the supervisor (its spec), -1 until known. */
int64_t suplink_gen(const struct suplink *l);

/* The last snapshot this supervisor sent (its instance shows the snapshot
 * of its primary link only: during a reload the replacement's state lives
 * here until it takes over). */
const struct inst_snapshot *suplink_snap(const struct suplink *l);

/* Makes l the primary link of inst at generation gen (adoption, or a
 * replacement taking over); inst's snapshot becomes the link's. The
 * previous primary, if any, must have been disowned. */
void suplink_bind(struct suplink *l, struct inst *inst, int64_t gen);

/* Detaches l from its instance: its later messages and its exit no longer
 * touch the instance (a dismissed replacement, an old supervisor after a
 * takeover, an instance being removed). */
void suplink_disown(struct suplink *l);
