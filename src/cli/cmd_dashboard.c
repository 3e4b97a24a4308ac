/* cmd_dashboard.c - `drover dashboard [--address addr] [--open]`: prints
 * the URL of the daemon's web dashboard with its token (the daemon starts
 * serving HTTP on addr, 127.0.0.1:9615 by default, when it does not yet;
 * daemon/http/dashboard.h); --open also hands it to xdg-open. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/flag_value.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Runs xdg-open url (no shell) when it is on PATH. Returns 0, or -ENOENT
 * without xdg-open, or another negative errno. */
static int open_url(const char *url)
{
    char *argv[] = {"xdg-open", (char *)url, NULL};
    pid_t pid;
    int r = posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ);
    if (r != 0)
        return -r;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int cmd_dashboard(struct cli *c)
{
    const char *address = NULL;
    int open = 0;
    for (int i = 0; i < c->argc; i++) {
        const char *v = NULL;
        int t = flag_value(c->argc, c->argv, &i, "--address", &v);
        if (t < 0)
            return cli_usage("--address needs an address (127.0.0.1:9615, [::1]:9615 or a port)");
        if (t > 0)
            address = v;
        else if (!strcmp(c->argv[i], "--open"))
            open = 1;
        else
            return cli_usage("usage: drover dashboard [--address addr] [--open]");
    }
    json_t *req = json_pack("{s:s, s:s?}", "cmd", "dashboard", "address", address);
    json_t *reply = client_call(c, req);
    if (!reply)
        return 1;
    const char *url = json_string_value(json_object_get(reply, "url"));
    if (c->json) {
        char *text = json_dumps(reply, JSON_COMPACT);
        if (text)
            puts(text);
        free(text);
    } else {
        printf("%s\n", url ? url : "");
    }
    fflush(stdout);
    int rc = 0;
    if (open && url) {
        int r = open_url(url);
        if (r < 0)
            rc = cli_error(r == -ENOENT ? "no xdg-open here: open the URL above in a browser"
                                        : "xdg-open could not open the URL: open it in a browser");
    }
    json_decref(reply);
    return rc;
}
