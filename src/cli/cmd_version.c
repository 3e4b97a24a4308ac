/* cmd_version.c - `drover version` (also -v, --version): the version, the
 * git revision it was built from, how it was built and where its helper
 * programs are. */
#include "build_info.h"
#include "build_rev.h"
#include "cli/cli.h"
#include "cli/helpers.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_version(struct cli *c)
{
    char daemon[PATH_MAX];
    int found = helper_path(c, HELPER_DAEMON, daemon, sizeof(daemon)) == 0;
    char *slash = strrchr(daemon, '/');
    if (slash)
        *slash = '\0';
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:s?}", "version",
                              DROVER_VERSION, "revision", DROVER_REVISION, "build", "type",
                              DROVER_BUILD_TYPE, "compiler", DROVER_BUILD_COMPILER, "sanitizers",
                              DROVER_BUILD_SANITIZE, "supervisor_libc", DROVER_BUILD_SUP_LIBC,
                              "helper_dir", DROVER_HELPER_DIR, "helpers", found ? daemon : NULL);
        return cli_print_json(o);
    }
    printf("drover %s\n", DROVER_VERSION);
    printf("revision    %s\n", DROVER_REVISION);
    printf("build       %s, %s, sanitizers: %s, supervisor: %s\n", DROVER_BUILD_TYPE,
           DROVER_BUILD_COMPILER, DROVER_BUILD_SANITIZE, DROVER_BUILD_SUP_LIBC);
    printf("helpers     %s%s\n", found ? daemon : "not found, installed ones go to ",
           found ? "" : DROVER_HELPER_DIR);
    return 0;
}
