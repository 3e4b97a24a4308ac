/* cmd_manpage.c - the hidden `drover __manpage`: `<page>` prints a man page
 * (man_pages.h), `--list` the file names of every page ("drover.1"),
 * `--check` the drift between the verb tables (exit 1 when there is
 * any). The build and the tests run it. */
#include "cli/capture.h"
#include "cli/cli.h"
#include "cli/man_pages.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* What `drover-runtime --help` prints: this binary run under that name. */
static void runtime_help(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    out[0] = '\0';
    if (n <= 0)
        return;
    self[n] = '\0';
    char *argv[] = {"drover-runtime", "--help", NULL};
    if (capture_run(self, argv, environ, out, len) != 0)
        out[0] = '\0';
}

int cmd_manpage(struct cli *c)
{
    if (c->argc != 1)
        return cli_usage("usage: drover __manpage <page>|--list|--check");
    const char *what = c->argv[0];
    if (!strcmp(what, "--list")) {
        for (size_t i = 0; i < man_pages_len; i++)
            printf("%s.%d\n", man_pages[i].name, man_pages[i].section);
        return 0;
    }
    if (!strcmp(what, "--check"))
        return man_drift(stderr) ? 1 : 0;
    const struct man_page *page = man_page_find(what);
    if (!page)
        return cli_usage("no man page '%s' (see: drover __manpage --list)", what);
    static char help[16384];
    struct man_context ctx = {.runtime_help = NULL};
    if (!strcmp(page->name, "drover-runtime")) {
        runtime_help(help, sizeof(help));
        ctx.runtime_help = help;
    }
    page->write(stdout, &ctx);
    return ferror(stdout) ? cli_error("cannot write the page") : 0;
}
