/* cmd_completion.c - `drover completion bash|zsh|fish` prints the script,
 * `drover completion install [shell]` writes it where the shell finds it
 * (PM2's `pm2 completion install`; no rc file is edited), and the hidden
 * `drover __complete -- <words>` prints the candidates a Tab press shows
 * (completion.h), asking a running daemon for app names and never starting
 * one. */
#include "base/fdutil.h"
#include "cli/cli.h"
#include "cli/completion.h"
#include "cli/completion_scripts.h"
#include "cli/daemon_peek.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a Tab press waits at most this long for the daemon's app list */
#define COMPLETION_PEEK_MS 500

static json_t *running_apps(void *ctx)
{
    const struct cli *c = ctx;
    json_t *reply;
    json_t *req = json_pack("{s:s, s:b}", "cmd", "list", "brief", 1);
    int r = daemon_peek(c, req, COMPLETION_PEEK_MS, &reply);
    json_decref(req);
    if (r < 0)
        return NULL;
    json_t *procs = json_incref(json_object_get(reply, "processes"));
    json_decref(reply);
    return procs;
}

int cmd_complete_words(struct cli *c)
{
    int argc = c->argc;
    char **argv = c->argv;
    /* the scripts pass "--" first, so no word is taken as a global option */
    if (argc > 0 && !strcmp(argv[0], "--")) {
        argc--;
        argv++;
    }
    if (argc == 0)
        return 0;
    struct completion_targets t = {.list = running_apps, .ctx = c};
    completion_candidates(argc, argv, &t, stdout);
    return 0;
}

static int install(struct cli *c, const char *shell_name)
{
    if (!shell_name) {
        const char *sh = getenv("SHELL");
        const char *slash = sh ? strrchr(sh, '/') : NULL;
        shell_name = slash ? slash + 1 : sh;
    }
    const struct completion_shell *shell = shell_name ? completion_shell_find(shell_name) : NULL;
    if (!shell)
        return cli_usage("completion install: name the shell (%s)", completion_shell_names);
    const char *base = getenv(shell->base_env), *home = getenv("HOME");
    char dir[PATH_MAX], path[PATH_MAX];
    int n = base && *base   ? snprintf(dir, sizeof(dir), "%s", base)
            : home && *home ? snprintf(dir, sizeof(dir), "%s/%s", home, shell->base_default)
                            : -1;
    if (n < 0 || (size_t)n >= sizeof(dir))
        return cli_error("cannot tell where %s completions go: set HOME or %s", shell->name,
                         shell->base_env);
    n = snprintf(path, sizeof(path), "%s/%s", dir, shell->file);
    if (n < 0 || (size_t)n >= sizeof(path))
        return cli_error("path too long: %s/%s", dir, shell->file);
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    int r = mkdir_p(dir, 0755);
    if (r == 0)
        r = write_file_atomic(path, shell->script, strlen(shell->script), 0644);
    if (r < 0)
        return cli_error("cannot write %s: %s", path, strerror(-r));
    cli_say(c, "wrote %s", path);
    if (shell->note)
        cli_say(c, "%s (%s)", shell->note, dir);
    return 0;
}

int cmd_completion(struct cli *c)
{
    if (c->argc >= 1 && !strcmp(c->argv[0], "install") && c->argc <= 2)
        return install(c, c->argc == 2 ? c->argv[1] : NULL);
    const struct completion_shell *shell = c->argc == 1 ? completion_shell_find(c->argv[0]) : NULL;
    if (!shell)
        return cli_usage("usage: drover completion bash|zsh|fish|install [shell]");
    fputs(shell->script, stdout);
    return 0;
}
