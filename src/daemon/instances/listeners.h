/* listeners.h - the listening sockets of an app, owned by the daemon for as
 * long as the app is defined and handed to every instance.
 *
 * balancing "shared" (default): one socket per address, inherited by every
 * instance; the accept queue belongs to the socket, so a worker that exits
 * never resets queued connections. balancing "slots": one SO_REUSEPORT
 * socket per address per instance slot; a replacement inherits its slot's
 * socket, so load spreads evenly and still nothing is reset.
 *
 * Sockets come from the config ("listen", pre-bound at start) or on demand
 * when an app binds a port nobody configured (the preload shim asks its
 * supervisor, which asks the daemon: like the cluster module's primary). */
#pragma once

#include <stddef.h>

#include "config/listen_addr.h"
#include "daemon/daemon.h"

#define LISTENERS_MAX_ADDRS 16   /* distinct addresses per app */
#define LISTENERS_MAX_TOTAL 1024 /* sockets per app, slots included */

struct listener {
    struct listen_addr addr; /* concrete family and address */
    int v6only;
    int slot; /* -1: shared by every instance */
    int fd;
};

struct listener_set {
    struct listener *items;
    size_t n, cap;
};

/* Binds the addresses of the app's "listen" option (for every slot in slots
 * mode, for slots 0..n_slots-1). Returns 0, or a negative errno with err
 * set ("listen 127.0.0.1:80: Address already in use"). */
int listeners_prebind(struct app *app, int n_slots, char *err, size_t errlen);

/* Finds the socket for (addr, v6only) that an instance in slot should use,
 * binding it when missing. *fd receives the daemon's fd (not a copy).
 * Returns 0, -EAFNOSUPPORT with err set when the address is served with
 * another family, or a bind error. */
int listeners_get(struct app *app, const struct listen_addr *addr, int v6only, int slot, int *fd,
                  char *err, size_t errlen);

/* The fds an instance in slot receives, in a stable order, with their
 * LISTEN_FDNAMES (colon-separated names without colons, e.g.
 * "tcp_127.0.0.1_8080:tcp6_--_443", listen_addr_fdname). Returns the
 * count (at most max). */
int listeners_for_slot(const struct app *app, int slot, int *fds, int max, char *names,
                       size_t names_len);

/* Adds a socket received from a supervisor during re-adoption (takes the
 * fd; a duplicate of a socket already known is closed). */
void listeners_adopt(struct app *app, int fd, int slot);

/* Closes the sockets of one slot (scale down) or, with slot == -2, all. */
void listeners_close(struct app *app, int slot);

/* True when the app has any listening socket (its reloads can then be
 * zero-downtime even in fork mode). */
int listeners_any(const struct app *app);
