/* orphans.h - finding what a dead supervisor left behind, and this home's
 * live supervisors, without their socket files.
 *
 * Every supervisor runs as `drover-sup <name>:<id> <key>.<id>.<gen>` and
 * every app process inherits DROVER_INSTANCE_KEY=<key>.<id>.<gen> (key:
 * paths_home_key). So, whatever happened to run/ (a wiped
 * $XDG_RUNTIME_DIR) or to the daemon:
 *  - the live supervisors of this home are found in /proc by their argv,
 *    and adopted (adopt.c);
 *  - the processes of an instance whose supervisor died (its app, and any
 *    descendant that escaped its session with setsid, with or without
 *    cgroups) are found by their environment, and killed before a
 *    replacement starts, as is everything in the instance's cgroups.
 * Only processes of our own uid are considered (any, for root). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "daemon/daemon.h"

/* A live supervisor of this home. */
struct found_sup {
    pid_t pid;
    uint64_t start_time;
    int64_t id, gen;
};

/* Lists this home's live supervisors into *out (malloc'd, caller frees),
 * count in *n. Returns 0 or a negative errno. */
int orphans_find_supervisors(const struct daemon *d, struct found_sup **out, size_t *n);

/* SIGKILLs every process of instance id left by a supervisor of generation
 * gen (gen < 0: of any generation), through its environment marker and its
 * cgroup (cgroup.kill), then removes that cgroup once empty (or soon after).
 * Returns how many processes were signalled. */
size_t orphans_kill(struct daemon *d, int64_t id, int64_t gen);

/* Removes the instance cgroups of this home that no live supervisor uses
 * (left by crashes): their processes are killed first. keep lists the live
 * supervisors. */
void orphans_sweep_cgroups(struct daemon *d, const struct found_sup *keep, size_t n_keep);

/* The environment entry that marks the processes of inst at generation gen
 * ("DROVER_INSTANCE_KEY=<key>.<id>.<gen>") into out. */
void orphans_marker(const struct daemon *d, int64_t id, int64_t gen, char *out, size_t len);

/* argv[2] of a supervisor of inst at generation gen ("<key>.<id>.<gen>"). */
void orphans_sup_tag(const struct daemon *d, int64_t id, int64_t gen, char *out, size_t len);
