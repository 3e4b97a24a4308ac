/* cmd_monit_launch.c - `drover monit`: hands over to drover-monit (cli.h). */
#include "cli/cli.h"
#include "cli/helpers.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_monit_launch(struct cli *c)
{
    char path[PATH_MAX];
    int r = helper_path(c, HELPER_MONIT, path, sizeof(path));
    if (r < 0)
        return cli_error("cannot find %s (%s): is drover installed completely?", path,
                         strerror(-r));
    /* drover-monit --exe-dir DIR [--no-color] VERB ARGS... */
    char **argv = calloc((size_t)c->argc + 6, sizeof(*argv));
    if (!argv)
        return cli_error("out of memory");
    int n = 0;
    argv[n++] = "drover-monit";
    argv[n++] = "--exe-dir";
    argv[n++] = c->exe_dir;
    if (!c->color)
        argv[n++] = "--no-color";
    argv[n++] = (char *)c->verb;
    for (int i = 0; i < c->argc; i++)
        argv[n++] = c->argv[i];
    execv(path, argv);
    r = errno;
    free(argv);
    return cli_error("cannot run %s: %s", path, strerror(r));
}
