/* least_conn.h - the open-connection counts behind balancing "least_conn"
 * (docs/architecture.md, "Least connections").
 *
 * One BPF array map per app (one element, BPF_F_MMAPABLE), made by the
 * daemon (daemon/instances/slot_select.h) and mapped shared by
 * everyone who touches it:
 * - the kernel: the program on each of the app's SO_REUSEPORT groups sends
 *   a new connection to the present slot whose runs hold the fewest open
 *   connections (ties go to a slot picked from the connection's hash);
 * - the daemon: sets present[slot] while the slot's socket takes
 *   connections;
 * - each supervisor: gets the map as an inherited fd with its cell in the
 *   spec (lc_fd, lc_cell), zeroes the cell whenever its app's run starts
 *   or ends (a run that died left its count behind), and hands the map to
 *   the shim (broker cmd=lc);
 * - the shim, in the app's processes: +1 in the cell for every connection
 *   accepted on a shared socket, -1 when that fd is closed (close, the raw
 *   syscall libuv uses, close_range, dup2/dup3 over it). No system call.
 *
 * A slot has LC_CELLS_PER_SLOT cells, one per supervisor generation
 * (gen % LC_CELLS_PER_SLOT): during a reload the old run (draining) and
 * the new one count apart, and the slot's load is their sum. Every value
 * is written by the app's processes, so readers trust nothing: a negative
 * count is 0. */
#pragma once

#include <stdint.h>

#define LC_MAX_SLOTS 64
#define LC_CELLS_PER_SLOT 4

struct lc_counts {
    int64_t cells[LC_MAX_SLOTS * LC_CELLS_PER_SLOT]; /* open connections, per run */
    uint64_t present[LC_MAX_SLOTS];                  /* 1: the slot takes connections */
};

/* The bytes to map (the map's value, rounded up to a page). */
#define LC_MAP_BYTES 4096u

_Static_assert(sizeof(struct lc_counts) <= LC_MAP_BYTES, "one page");

/* The cell of the run of (slot, generation); -1 for a slot past
 * LC_MAX_SLOTS (it has no cell: never picked, never counted). */
static inline int lc_cell(int slot, int64_t gen)
{
    if (slot < 0 || slot >= LC_MAX_SLOTS)
        return -1;
    return slot * LC_CELLS_PER_SLOT + (int)(gen % LC_CELLS_PER_SLOT);
}

/* Maps the counts of map fd (not closed), shared and writable. Returns 0
 * with *out set, or a negative errno (-EINVAL: not such a map). */
int lc_counts_map(int fd, struct lc_counts **out);

/* Unmaps; NULL is ignored. */
void lc_counts_unmap(struct lc_counts *counts);
