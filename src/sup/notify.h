/* notify.h - the NOTIFY_SOCKET a supervisor offers its app (sd_notify).
 *
 * An abstract AF_UNIX datagram socket "@drover.<pid>.notify" with
 * SO_PASSCRED: a datagram counts only when its sender is in the app's
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
