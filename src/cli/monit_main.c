/* monit_main.c - drover-monit, the program behind `drover monit` (cli.h,
 * cmd_monit_launch.c): the terminal monitor in a binary of its own, so
 * ncurses is loaded only when someone watches.
 *
 * Usage (drover runs it; people run `drover monit`):
 *   drover-monit --exe-dir DIR [--no-color] monit|imonit [ARGS...]
 * DIR is where drover runs from: the monitor's actions run DIR/drover and
 * a daemon it starts is DIR/droverd, exactly as for drover itself. */
#include "base/log.h"
#include "base/paths.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static struct cli c;
    log_setup("drover", 0);
    const char *nc = getenv("NO_COLOR");
    c.color = isatty(STDOUT_FILENO) && !(nc && *nc);
    int i = 1;
    if (i + 1 < argc && !strcmp(argv[i], "--exe-dir")) {
        snprintf(c.exe_dir, sizeof(c.exe_dir), "%s", argv[i + 1]);
        i += 2;
    } else {
        cli_find_exe_dir(&c);
    }
    if (i < argc && !strcmp(argv[i], "--no-color")) {
        c.color = 0;
        i++;
    }
    if (i >= argc || (strcmp(argv[i], "monit") != 0 && strcmp(argv[i], "imonit") != 0))
        return cli_usage("drover-monit is run by `drover monit`");
    c.verb = argv[i];
    c.argc = argc - i - 1;
    c.argv = argv + i + 1;
    if (paths_resolve(&c.paths) < 0)
        return cli_error("cannot find the drover home: set DROVER_HOME or HOME");
    return cmd_monit(&c);
}
