/* notify.h - the NOTIFY_SOCKET a supervisor offers its app (sd_notify).
 *
 * An AF_UNIX datagram socket at the spec's notify_path (run/notify/, 0600,
 * owned by the app's user: libraries such as Ruby's sd_notify only take a
 * path), or an abstract "@drover.<pid>.notify" when that path is too long,
 * with SO_PASSCRED: a datagram counts only when its sender is in the app's
 * process tree. READY=1 marks the run ready; STATUS=... is kept for
 * `describe`. Other assignments (STOPPING, WATCHDOG, ...) are accepted and
 * ignored. */
#pragma once

#include <stddef.h>

struct sup;

#define NOTIFY_STATUS_MAX 200

/* Binds the socket and starts reading. The NOTIFY_SOCKET value for the app
 * is stored in s->notify_name. */
int notify_open(struct sup *s);

/* Closes it. */
void notify_close(struct sup *s);
