/* doctor.h - what this machine gives drover: one row per capability drover
 * uses (its helper programs, cgroup v2 delegation, pidfds, the preload
 * shim, tcp_migrate_req, the fd limits, ...), each with what was found
 * and, when something is missing, a one-line hint saying what to do.
 * `drover doctor` prints the rows (cmd_doctor.c). Probes only look: the one
 * thing created (a cgroup directory, to see whether the daemon could) is
 * removed at once. */
#pragma once

#include <stddef.h>

#include "cli/cli.h"

enum doctor_level {
    DOCTOR_OK,      /* there, or informational */
    DOCTOR_WARN,    /* missing; drover works without it, with less */
    DOCTOR_MISSING, /* missing; drover cannot run apps without it */
};

#define DOCTOR_DETAIL_MAX 512

struct doctor_row {
    const char *check; /* short name, e.g. "cgroup v2" */
    enum doctor_level level;
    char detail[DOCTOR_DETAIL_MAX]; /* what was found */
    const char *hint;               /* what to do; NULL when nothing */
};

/* The most rows doctor_run writes. */
#define DOCTOR_MAX_ROWS 24

/* Runs every probe in a fixed order and fills rows (room for
 * DOCTOR_MAX_ROWS). Returns the number of rows written. */
size_t doctor_run(const struct cli *c, struct doctor_row *rows);

/* Is the ELF file at path linked statically (no program interpreter)?
 * Returns 1, 0 when dynamic, or a negative errno (-ENOEXEC: not ELF). */
int doctor_elf_is_static(const char *path);
