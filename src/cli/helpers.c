/* helpers.c - where droverd, drover-sup, drover-gzip, the preload shim and
 * drover-monit are (helpers.h). */
#include "cli/helpers.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[HELPER_COUNT] = {
    [HELPER_DAEMON] = "droverd",     [HELPER_SUP] = "drover-sup",
    [HELPER_GZIP] = "drover-gzip",   [HELPER_PRELOAD] = "libdrover-preload.so",
    [HELPER_MONIT] = "drover-monit",
};

const char *helper_name(enum helper h)
{
    return h < HELPER_COUNT ? names[h] : "?";
}

/* realpath of dir/name into out; out holds dir/name when it does not exist */
static int resolve(const char *dir, const char *name, char *out, size_t len)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path) || (size_t)n >= len)
        return -ENAMETOOLONG;
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        snprintf(out, len, "%s", path);
        return -ENOENT;
    }
    if (strlen(real) >= len)
        return -ENAMETOOLONG;
    snprintf(out, len, "%s", real);
    return 0;
}

int helper_path(const struct cli *c, enum helper h, char *out, size_t len)
{
    if (h >= HELPER_COUNT)
        return -EINVAL;
    char daemon[PATH_MAX];
    int r = resolve(c->exe_dir, names[HELPER_DAEMON], daemon, sizeof(daemon));
    if (h == HELPER_DAEMON || r < 0) {
        snprintf(out, len, "%s", daemon);
        return r;
    }
    /* the daemon looks next to its own real file */
    char *slash = strrchr(daemon, '/');
    if (slash)
        *slash = '\0';
    return resolve(daemon, names[h], out, len);
}
