/* helpers.h - where the programs drover runs are, found the way the
 * binaries themselves find them: droverd next to drover (the build tree
 * holds every program in one dir; an installed <bindir>/droverd is a link
 * to <helperdir>/droverd), and drover-sup, drover-gzip,
 * libdrover-preload.so and drover-monit next to droverd's real file. `drover version` and
 * `drover doctor` report them. */
#pragma once

#include <stddef.h>

#include "cli/cli.h"

enum helper {
    HELPER_DAEMON,  /* droverd */
    HELPER_SUP,     /* drover-sup, one per instance */
    HELPER_GZIP,    /* drover-gzip, compresses rotated logs */
    HELPER_PRELOAD, /* libdrover-preload.so, the socket-sharing shim */
    HELPER_MONIT,   /* drover-monit, the terminal monitor (ncurses) */
    HELPER_COUNT,
};

/* The file name of helper h ("drover-sup"). */
const char *helper_name(enum helper h);

/* Stores the real path (symlinks resolved) of helper h in out (len bytes).
 * Returns 0, -ENOENT when it is not where the binaries look (out then holds
 * the path looked at), or -ENAMETOOLONG. */
int helper_path(const struct cli *c, enum helper h, char *out, size_t len);
