/* listeners.h - the listening sockets of an app, owned by the daemon for as
 * long as the app is defined and handed to every instance.
 *
 * balancing "shared" (default): one socket per address, inherited by every
 * instance; the accept queue belongs to the socket, so a worker that exits
 * never resets queued connections. balancing "slots": one SO_REUSEPORT
 * socket per address per instance slot; a replacement inherits its slot's
 * socket, so load spreads evenly and still nothing is reset. balancing
 * "sticky": slots, with a program on the group that sends a client address
 * to the same slot (reuseport_prog.h). balancing "least_conn": slots, with a
 * program that sends a new connection to the slot with the fewest open ones
 * (slot_select.h).
 *
 * Sockets come from the config ("listen", pre-bound at start) or on demand
 * when an app binds a port nobody configured (the preload shim asks its
 * supervisor, which asks the daemon: like the cluster module's primary).
 *
 * Apps share a port as in PM2 (where every app's workers are children of
 * one cluster primary): an app that needs an address another app listens
 * on gets a copy (dup) of that app's socket, so both apps' workers accept
 * from one queue and the socket closes with its last app; per-slot
 * SO_REUSEPORT sockets (balancing "slots") are joined by a socket of the
 * new app in the same reuseport group instead.
 *
 * The daemon holds an app's sockets only while an instance of it is wanted
 * running: `stop` of the last one closes them (clients are refused, as in
 * PM2), `start` binds them again. Supervisors hold copies only while their
 * app is wanted running too (they drop them on stop and get them back with
 * start and restart). */
#pragma once

#include <stddef.h>

#include "config/listen_addr.h"
#include "daemon/daemon.h"
#include "daemon/instances/slot_select.h"

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
    char last_refusal[256]; /* listeners_note_refusal */
    int migrate_refused;    /* the migrate program could not be loaded (reuseport_prog.h) */
    /* balancing least_conn, and sticky for a root daemon (slot_select.h):
     * the counts map while the app's sockets are held, the program of each
     * address's group; lc_refused when the kernel said no */
    int lc_fd;
    struct lc_counts *lc;
    int lc_refused;
    struct lc_addr_group {
        struct listen_addr addr;
        int v6only;
        struct slot_group g;
    } lc_groups[LISTENERS_MAX_ADDRS];
    size_t n_lc_groups;
};

/* Binds the addresses of the app's "listen" option (for every slot in slots
 * mode, for slots 0..n_slots-1). Returns 0, or a negative errno with err
 * set ("listen 127.0.0.1:80: Address already in use"). */
int listeners_prebind(struct daemon *d, struct app *app, int n_slots, char *err, size_t errlen);

/* The same for the one slot an instance about to run uses (its sockets
 * were closed when the app stopped). Returns 0 or a negative errno with
 * err set. */
int listeners_prepare(struct daemon *d, struct app *app, int slot, char *err, size_t errlen);

/* Finds the socket for (addr, v6only) that an instance in slot should use:
 * the app's own, else a copy of another app's, else a new one. An IPv4
 * address and a v6only [::] on one port are two sockets side by side; an
 * IPv4 address beside a dual-stack [::] (v6only 0) is refused. *fd receives
 * the daemon's fd (not a copy). Returns 0 when the app had it, 1 when it
 * was bound or shared just now, or a negative errno with err set:
 * -EADDRINUSE for the dual-stack conflict, or a bind error. */
int listeners_get(struct daemon *d, struct app *app, const struct listen_addr *addr, int v6only,
                  int slot, int *fd, char *err, size_t errlen);

/* Closes every socket of app when none of its instances is wanted running
 * (another app sharing one keeps its own copy). */
void listeners_release_idle(const struct daemon *d, struct app *app);

/* Remembers err as the app's last refused socket request. Returns 1 when it
 * differs from the previous one (log it), 0 when it repeats (a crash-looping
 * app asks again at every run: say it once). */
int listeners_note_refusal(struct app *app, const char *err);

/* The fds an instance in slot receives, in a stable order, with their
 * LISTEN_FDNAMES (colon-separated names without colons, e.g.
 * "tcp_127.0.0.1_8080:tcp6_--_443", listen_addr_fdname). Returns the
 * count (at most max). */
int listeners_for_slot(const struct app *app, int slot, int *fds, int max, char *names,
                       size_t names_len);

/* Adds a socket received from a supervisor during re-adoption (takes the
 * fd; a duplicate of a socket already known is closed). */
void listeners_adopt(struct app *app, int fd, int slot);

/* Closes the sockets of one slot (scale down, its instance stopped or
 * deleted; nothing for a shared socket) or, with slot == -2, all. */
void listeners_close(struct app *app, int slot);

/* True when the app has any listening socket (its reloads can then be
 * zero-downtime even in fork mode). */
int listeners_any(const struct app *app);

/* The least_conn counts map of the app (proto/least_conn.h), for its
 * supervisors, made on first use and kept until the app's sockets close;
 * -1 for another balancing or when the kernel refused it (a warning in
 * the daemon's log, once). */
int listeners_lc_map(struct app *app);

/* A new daemon takes the counts map its predecessor gave the running
 * supervisors (fd, taken on success), and puts its own program on the
 * app's groups. Returns 0, -EEXIST when the app has a map already (fd is
 * the caller's), or a negative errno. */
int listeners_lc_adopt(struct app *app, int fd);
