/* sdnotify.h - telling systemd (or any supervisor speaking its protocol)
 * how the daemon is doing: READY=1 once it serves, STOPPING=1 when it shuts
 * down. The protocol is one datagram per message to the AF_UNIX socket
 * named by $NOTIFY_SOCKET ("/path", or "@name" for the abstract
 * namespace); no libsystemd. Without NOTIFY_SOCKET nothing is sent. */
#pragma once

/* Reads $NOTIFY_SOCKET and removes it from the environment, so nothing the
 * daemon starts inherits it. Call once, early. */
void sdnotify_init(void);

/* Sends state (e.g. "READY=1\nSTATUS=serving"). Returns 0 (also when there
 * is no socket to notify), or a negative errno. */
int sdnotify_send(const char *state);
