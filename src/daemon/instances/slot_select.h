/* slot_select.h - eBPF programs that choose the slot of a new connection
 * on an app's SO_REUSEPORT group, for a root daemon: balancing
 * "least_conn", and "sticky" where the kernel allows (otherwise sticky is
 * the classic BPF program of reuseport_prog.h).
 *
 * Both read the app's counts map (proto/least_conn.h: present[slot], and
 * for least_conn the open connections each slot's runs hold) and a SOCKMAP
 * of the group's slot sockets (index = slot), fixed when they are loaded;
 * the daemon keeps both up to date as slots come and go (one program per
 * group, loaded once). For every present slot the program makes a key and
 * the smallest wins; bpf_sk_select_reuseport then picks that slot's
 * socket:
 * - least_conn: (open connections << 32) | mix(connection hash, slot), so
 *   the least loaded wins and ties go to one of them at random;
 * - sticky: mix(client address, slot), rendezvous hashing: a client
 *   address always wins on the same slot while it is present, and when a
 *   slot goes only its clients move (when one comes, a share of the others
 *   move to it).
 * Nothing present, a socket missing from the map, or a packet that cannot
 * be read: the kernel's own hash picks. The attach type is
 * SELECT_OR_MIGRATE, so requests queued on a closing socket (scale down)
 * go through the program too, to a present slot, instead of being reset.
 *
 * Written as eBPF instructions here, checked by the kernel's verifier:
 * nothing needs a BPF compiler. Loading needs CAP_BPF and CAP_NET_ADMIN. */
#pragma once

#include <stddef.h>

#include "proto/least_conn.h"

enum slot_select { SELECT_LEAST_CONN, SELECT_STICKY };

/* Creates the counts map (an fd, close-on-exec) and maps it at *counts.
 * Returns 0 or a negative errno (-EPERM without the capabilities). */
int slot_select_map_create(int *fd, struct lc_counts **counts);

/* The kernel side of one SO_REUSEPORT group: its socket map and the
 * program over it, kept for as long as the app's sockets are held. */
struct slot_group {
    int sockmap_fd, prog_fd;
    int fds[LC_MAX_SLOTS]; /* the socket in the map at each slot, -1: none */
};

/* Makes the socket map and loads the program of mode (reading counts_fd).
 * Returns 0 or a negative errno; the verifier's complaint, if any, is
 * logged at debug level. */
int slot_group_open(struct slot_group *g, enum slot_select mode, int counts_fd);

/* Makes slot's entry fd (-1: none): the map changes only where it
 * differs. Returns 0 or a negative errno. */
int slot_group_set(struct slot_group *g, int slot, int fd);

/* Attaches the program to the group of socket fd (replacing its program).
 * Returns 0 or a negative errno. */
int slot_group_attach(const struct slot_group *g, int fd);

/* Closes the map and the program (a group that still holds the program
 * keeps both alive). */
void slot_group_close(struct slot_group *g);
