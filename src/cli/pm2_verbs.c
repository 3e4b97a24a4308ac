/* pm2_verbs.c - the table of PM2 7's verbs (pm2_verbs.h). Order: PM2's
 * `pm2 --help`, grouped by job. A note is one line; for a verb drover does
 * not run, it is what the user should do instead. */
#include "cli/pm2_verbs.h"

#include <string.h>

#define MODULES_NOTE                                                                               \
    "PM2 modules do not exist here: pm2-logrotate's rotation is built in (the max_size, retain, "  \
    "compress and rotate_interval options, `drover help options`); run any other service with "    \
    "`drover start`"
#define CLOUD_NOTE                                                                                 \
    "drover has no PM2.io (PM2 Plus) agent: use `drover ls`, `drover describe <app>` and "         \
    "`drover logs`, or your own monitoring"
#define HOST_NOTE "no host metrics agent: use the system's own monitoring (top, node_exporter, ...)"
#define GIT_NOTE "no git versioning of apps: update the code with git, then `drover reload <app>`"

const struct pm2_verb pm2_verbs[] = {
    /* apps */
    {"start", PM2_VERB_SAME,
     "scripts, binaries, commands, ecosystem files (`drover help options`)"},
    {"stop", PM2_VERB_SAME, ""},
    {"restart", PM2_VERB_SAME, ""},
    {"reload", PM2_VERB_SAME, "zero downtime for any program whose sockets drover holds"},
    {"delete|del", PM2_VERB_SAME, ""},
    {"scale", PM2_VERB_SAME, ""},
    {"startOrRestart", PM2_VERB_SAME, ""},
    {"startOrReload", PM2_VERB_SAME, ""},
    {"startOrGracefulReload", PM2_VERB_SAME, "the same as `startOrReload`"},
    {"reset", PM2_VERB_SAME, ""},
    {"sendSignal", PM2_VERB_SAME, ""},
    {"send", PM2_VERB_SAME, "writes the line to the app's stdin, a pipe its supervisor holds"},
    {"trigger", PM2_VERB_NOT_COVERED,
     "custom actions need PM2's in-app agent: use `drover sendSignal <signal> <app>` or `drover "
     "send <id> <line>`"},
    {"attach", PM2_VERB_NOT_COVERED,
     "no interactive attach: `drover logs <id>` follows its output, `drover send <id> <line>` "
     "writes to its stdin"},
    /* listings */
    {"list|ls|l|ps|status", PM2_VERB_SAME,
     "sorted by name; `--sort <field>[:asc|desc]`, `-m`/`--mini-list`"},
    {"jlist", PM2_VERB_SAME, "PM2's JSON shape"},
    {"prettylist", PM2_VERB_SAME, "`jlist`, indented"},
    {"describe|desc|info|show", PM2_VERB_SAME, ""},
    {"env", PM2_VERB_SAME, "the environment an instance runs with, as `KEY: value` lines"},
    {"pid", PM2_VERB_SAME, ""},
    {"id", PM2_VERB_SAME, "the ids of a name, as `[ 0, 1 ]`"},
    {"monit", PM2_VERB_SAME,
     "processes with CPU, memory, restarts and sparklines, the selected app's logs; keys "
     "restart, reload, scale, stop, start and describe (`?` lists them)"},
    {"imonit", PM2_VERB_SAME, "the same as `monit`"},
    {"dashboard|dash", PM2_VERB_SAME,
     "a web dashboard served by the daemon (PM2's is a terminal one, as `drover monit`): prints "
     "its URL with a token; live CPU and memory charts, describe, logs and actions"},
    {"sysmonit", PM2_VERB_NOT_COVERED, HOST_NOTE},
    {"slist|sysinfos", PM2_VERB_NOT_COVERED, HOST_NOTE},
    {"report", PM2_VERB_NOT_COVERED,
     "for a bug report, attach `drover version`, `drover describe <app>` and `drover logs <app> "
     "--nostream --lines 100`"},
    /* logs */
    {"logs|log", PM2_VERB_SAME,
     "`--lines`, `--nostream`, `--out`, `--err`, `--raw`, `--json`, `--format`, `--timestamp "
     "[format]`, `--highlight <text>`; works with the daemon down"},
    {"flush", PM2_VERB_SAME, ""},
    {"reloadLogs", PM2_VERB_SAME, ""},
    {"reloadLogsSilently", PM2_VERB_SAME, "`reloadLogs` without output"},
    {"logrotate", PM2_VERB_NOT_COVERED,
     "rotation is built in (max_size, retain, compress, rotate_interval); to use the system's "
     "logrotate instead, see docs/logs.md and `drover reloadLogs`"},
    /* persistence, boot, the daemon */
    {"dump|save", PM2_VERB_SAME, ""},
    {"resurrect", PM2_VERB_SAME, ""},
    {"cleardump", PM2_VERB_SAME, ""},
    {"startup", PM2_VERB_SAME, "systemd only"},
    {"unstartup", PM2_VERB_SAME, ""},
    {"ping", PM2_VERB_SAME, ""},
    {"kill", PM2_VERB_SAME, ""},
    {"update|updatePM2", PM2_VERB_SAME, "replaces the daemon; every app keeps running"},
    {"deepUpdate", PM2_VERB_NOT_COVERED,
     "upgrade the drover package, then `drover update` (apps keep running)"},
    /* configuration */
    {"ecosystem|init", PM2_VERB_SAME,
     "writes ecosystem.config.js in the current directory, never over an existing one; `simple`: "
     "a minimal one"},
    {"examples", PM2_VERB_SAME, ""},
    {"set|multiset|unset|get|conf|config", PM2_VERB_NOT_COVERED,
     "PM2's module settings (pm2-logrotate's max_size, retain, ...) are per-app options here: set "
     "them in the ecosystem file or as flags (`drover help options`), read them with `drover "
     "describe <app>`"},
    /* modules */
    {"install|module:install", PM2_VERB_NOT_COVERED, MODULES_NOTE},
    {"module:update", PM2_VERB_NOT_COVERED, MODULES_NOTE},
    {"uninstall|module:uninstall", PM2_VERB_NOT_COVERED,
     "PM2 modules do not exist here (log rotation is built in); `drover delete <app>` removes an "
     "app"},
    {"module:generate", PM2_VERB_NOT_COVERED,
     "PM2 modules do not exist here: write a plain program and `drover start` it"},
    {"package", PM2_VERB_NOT_COVERED,
     "PM2 modules do not exist here: write a plain program and `drover start` it"},
    {"publish|module:publish", PM2_VERB_NOT_COVERED,
     "PM2 modules do not exist here: publish your program with its own package manager"},
    {"autoinstall", PM2_VERB_NOT_COVERED, MODULES_NOTE},
    {"install-otel|uninstall-otel", PM2_VERB_NOT_COVERED,
     "no OpenTelemetry agent: instrument the app with its own OpenTelemetry SDK"},
    /* PM2.io */
    {"link", PM2_VERB_NOT_COVERED, CLOUD_NOTE},
    {"unlink", PM2_VERB_NOT_COVERED, CLOUD_NOTE},
    {"plus|register", PM2_VERB_NOT_COVERED, CLOUD_NOTE},
    {"login", PM2_VERB_NOT_COVERED, CLOUD_NOTE},
    {"logout", PM2_VERB_NOT_COVERED, CLOUD_NOTE},
    {"open", PM2_VERB_NOT_COVERED, CLOUD_NOTE},
    {"monitor", PM2_VERB_NOT_COVERED, CLOUD_NOTE},
    {"unmonitor", PM2_VERB_NOT_COVERED, CLOUD_NOTE},
    /* Node-only tools, deployment */
    {"inspect", PM2_VERB_NOT_COVERED,
     "start node with `--node-args=--inspect` and attach a debugger"},
    {"profile:mem|profile:cpu", PM2_VERB_NOT_COVERED,
     "profiles PM2's own daemon; for a node app use `--node-args=--cpu-prof` or `--heap-prof`"},
    {"deploy", PM2_VERB_NOT_COVERED,
     "deploy with your CI or git hooks, then run `drover startOrReload <ecosystem file>` on the "
     "host"},
    {"pull", PM2_VERB_NOT_COVERED, GIT_NOTE},
    {"forward", PM2_VERB_NOT_COVERED, GIT_NOTE},
    {"backward", PM2_VERB_NOT_COVERED, GIT_NOTE},
    {"serve|expose", PM2_VERB_NOT_COVERED,
     "no static file server: run one as an app (`drover start \"python3 -m http.server 8080\"`, "
     "nginx, caddy)"},
    {"create", PM2_VERB_NOT_COVERED,
     "no app boilerplate: `drover ecosystem` writes a sample ecosystem.config.js"},
    {"completion", PM2_VERB_SAME,
     "`completion bash|zsh|fish` prints the script, `completion install [shell]` installs it for "
     "this user (the package installs all three); verbs, flags, app names and ids"},
};

const size_t pm2_verbs_len = sizeof(pm2_verbs) / sizeof(pm2_verbs[0]);

int pm2_names_has(const char *names, const char *verb, size_t len)
{
    for (const char *p = names; *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && memcmp(p, verb, n) == 0)
            return 1;
        p += n + (bar != NULL);
    }
    return 0;
}

const struct pm2_verb *pm2_verb_find(const char *verb)
{
    for (size_t i = 0; i < pm2_verbs_len; i++)
        if (pm2_names_has(pm2_verbs[i].names, verb, strlen(verb)))
            return &pm2_verbs[i];
    return NULL;
}

int pm2_verb_answer(const struct pm2_verb *v, const char *verb)
{
    fprintf(stderr, "drover: '%s' %s: %s\n", verb,
            v->status == PM2_VERB_NOT_YET ? "is not available yet" : "is not covered", v->note);
    return 2;
}

/* Markdown cell text: '|' would end the cell. */
static void cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
}

void pm2_verbs_markdown(FILE *out)
{
    static const char *const status_text[] = {
        [PM2_VERB_SAME] = "same",
        [PM2_VERB_NOT_YET] = "not yet",
        [PM2_VERB_NOT_COVERED] = "not covered",
    };
    fputs("| PM2 | drover | notes, or what to use instead |\n|---|---|---|\n", out);
    for (size_t i = 0; i < pm2_verbs_len; i++) {
        const struct pm2_verb *v = &pm2_verbs[i];
        fputs("| ", out);
        for (const char *p = v->names; *p;) {
            const char *bar = strchr(p, '|');
            size_t n = bar ? (size_t)(bar - p) : strlen(p);
            fprintf(out, "%s`%.*s`", p == v->names ? "" : ", ", (int)n, p);
            p += n + (bar != NULL);
        }
        fprintf(out, " | %s |", status_text[v->status]);
        if (*v->note) {
            fputc(' ', out);
            cell(out, v->note);
        }
        fputs(" |\n", out);
    }
}
