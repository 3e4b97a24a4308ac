/* main.c - drover, the command-line client. Parses the verb (PM2's names
 * and aliases) and global options, then runs the verb (cmd_*.c). A PM2
 * verb drover does not run gets its one-line answer (pm2_verbs.h). Run as
 * drover-runtime (a link to this binary), it is the runtime (runtime.h). */
#include "base/log.h"
#include "base/paths.h"
#include "cli/cli.h"
#include "cli/pm2_verbs.h"
#include "runtime/runtime.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct cli_verb cli_verbs[] = {
    {"start", cmd_start_any},
    {"stop", cmd_stop_any},
    {"restart", cmd_restart_any},
    {"delete", cmd_delete_any},
    {"del", cmd_delete_any},
    {"reset", cmd_reset},
    {"ls", cmd_ls},
    {"list", cmd_ls},
    {"status", cmd_ls},
    {"l", cmd_ls},
    {"ps", cmd_ls},
    {"jlist", cmd_jlist},
    {"prettylist", cmd_prettylist},
    {"id", cmd_id},
    {"env", cmd_env},
    {"send", cmd_send},
    {"describe", cmd_describe},
    {"desc", cmd_describe},
    {"info", cmd_describe},
    {"show", cmd_describe},
    {"pid", cmd_pid},
    {"ping", cmd_ping},
    {"kill", cmd_kill},
    {"update", cmd_update},
    {"updatePM2", cmd_update},
    {"sendSignal", cmd_send_signal},
    {"reloadLogs", cmd_reload_logs},
    {"reloadLogsSilently", cmd_reload_logs_silently},
    {"flush", cmd_flush},
    {"logs", cmd_logs},
    {"log", cmd_logs},
    {"monit", cmd_monit_launch},
    {"imonit", cmd_monit_launch},
    {"dashboard", cmd_dashboard},
    {"dash", cmd_dashboard},
    {"reload", cmd_reload_any},
    {"gracefulReload", cmd_reload_any},
    {"scale", cmd_scale},
    {"startOrRestart", cmd_start_or_restart},
    {"startOrReload", cmd_start_or_reload},
    {"startOrGracefulReload", cmd_start_or_reload},
    {"save", cmd_save},
    {"dump", cmd_save},
    {"resurrect", cmd_resurrect},
    {"cleardump", cmd_cleardump},
    {"startup", cmd_startup},
    {"unstartup", cmd_unstartup},
    {"ecosystem", cmd_init},
    {"init", cmd_init},
    {"examples", cmd_examples},
    {"help", cmd_help},
    {"version", cmd_version},
    {"completion", cmd_completion},
    {"doctor", cmd_doctor},
    /* containers and balancers (runtime/) */
    {"probe", cmd_probe},
    {"drain", cmd_drain},
    {"export", cmd_export},
    /* hidden: what the shell completion scripts and the build call */
    {"__complete", cmd_complete_words},
    {"__manpage", cmd_manpage},
};

const size_t cli_verbs_len = sizeof(cli_verbs) / sizeof(cli_verbs[0]);

int main(int argc, char **argv)
{
    static struct cli c;
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int n_rest = 0;
    if (!rest)
        return cli_error("out of memory");

    log_setup("drover", 0);
    const char *nc = getenv("NO_COLOR");
    c.color = isatty(STDOUT_FILENO) && !(nc && *nc);
    /* global options may appear anywhere, except after "--" */
    int dashdash = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && !strcmp(a, "--"))
            dashdash = 1;
        if (!dashdash && !strcmp(a, "--json"))
            c.json = 1;
        else if (!dashdash && !strcmp(a, "--no-color"))
            c.color = 0;
        else if (!dashdash && (!strcmp(a, "-s") || !strcmp(a, "--silent")))
            c.silent = 1;
        else if (!dashdash && (!strcmp(a, "-v") || !strcmp(a, "--version")) && n_rest == 0)
            rest[n_rest++] = "version";
        else if (!dashdash && (!strcmp(a, "-h") || !strcmp(a, "--help")) && n_rest == 0)
            rest[n_rest++] = "help";
        else
            rest[n_rest++] = argv[i];
    }
    const char *prog = strrchr(argv[0], '/');
    if (!strcmp(prog ? prog + 1 : argv[0], "drover-runtime")) {
        /* drover-runtime: every argument is the runtime's (runtime/runtime.h) */
        c.verb = "drover-runtime";
        c.argc = argc - 1;
        c.argv = argv + 1;
        c.color = 0;
        c.json = c.silent = 0;
        if (paths_resolve(&c.paths) < 0)
            return cli_error("cannot find the drover home: set DROVER_HOME or HOME");
        cli_find_exe_dir(&c);
        return runtime_main(&c);
    }
    if (n_rest == 0) {
        c.argc = 0;
        cmd_help(&c);
        return 2;
    }
    c.verb = rest[0];
    c.argc = n_rest - 1;
    c.argv = rest + 1;
    int r = paths_resolve(&c.paths);
    if (r < 0)
        return cli_error("cannot find the drover home: set DROVER_HOME or HOME");
    cli_find_exe_dir(&c);
    for (size_t i = 0; i < cli_verbs_len; i++)
        if (!strcmp(cli_verbs[i].name, c.verb))
            return cli_verbs[i].fn(&c);
    const struct pm2_verb *pm2 = pm2_verb_find(c.verb);
    if (pm2 && pm2->status != PM2_VERB_SAME)
        return pm2_verb_answer(pm2, c.verb);
    return cli_usage("unknown command '%s' (see: drover help)", c.verb);
}
