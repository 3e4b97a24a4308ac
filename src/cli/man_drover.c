/* man_drover.c - drover(1): the commands from verb_docs.h, the options of
 * start from config/options.h, PM2's verbs drover does not run from
 * pm2_verbs.h; the rest is prose (man_pages.h). */
#include "build_info.h"
#include "cli/man_pages.h"
#include "cli/pm2_verbs.h"
#include "cli/roff.h"
#include "cli/verb_docs.h"

#include <string.h>

static const char *const description =
    ".SH DESCRIPTION\n"
    "drover starts, supervises and restarts any program, runs N instances of any program (Node, "
    "Python, Ruby, Go, C) behind one port with no code change, reloads and scales them with zero "
    "downtime, and keeps logs that lose nothing. It speaks PM2's verbs, flags, ecosystem files "
    "and `jlist`: replace `pm2` with `drover`.\n"
    ".PP\n"
    "The first command starts the daemon, droverd(8), which runs one small supervisor per "
    "instance. The supervisors own the apps, their pipes and log files: the daemon can be killed "
    "or upgraded (`drover update`) at any time, and the apps keep running and logging.\n"
    ".PP\n"
    "In cluster mode (-i) the daemon owns the listening sockets. An app gets them through the "
    "preload shim (its own bind() of a TCP port receives the shared socket: Node, Python, Ruby, "
    "C), through LISTEN_FDS (systemd's socket activation: Go, static binaries) with `listen`, or "
    "reads PORT. A reload replaces instances one by one and waits for each replacement to be "
    "ready, so no connection is refused.\n";

static const char *const targets =
    ".SH TARGETS\n"
    "A target is an app name, an instance id, a namespace, `all`, a script's path (`drover stop "
    "app.js`) or a /regex/ of names; several may follow one verb. Ids start over at 0 when the "
    "list is empty.\n";

static const char *const tail =
    ".SH GLOBAL OPTIONS\n"
    ".TP\n`--json`\nMachine-readable output (every listing).\n"
    ".TP\n`--no-color`\nNo colours (also when NO_COLOR is set, or output is not a terminal).\n"
    ".TP\n`-s`, `--silent`\nNo table after actions.\n"
    ".TP\n`-h`, `--help`\nThe commands (`drover help`).\n"
    ".TP\n`-v`, `--version`\nThe version, git revision and build options.\n"
    ".SH ENVIRONMENT\n"
    ".TP\nDROVER_HOME\nWhere drover keeps its state (default $XDG_STATE_HOME/drover, else "
    "~/.local/state/drover).\n"
    ".TP\nXDG_RUNTIME_DIR\nThe control sockets go to $XDG_RUNTIME_DIR/drover (else "
    "$DROVER_HOME/run).\n"
    ".TP\nDROVER_TIMEOUT\nSeconds a command waits for a sign of life from the daemon before it "
    "gives up with a message (default 20; long operations keep it alive).\n"
    ".TP\nNO_COLOR\nNo colours.\n"
    ".TP\nDROVER_NO_CGROUP\nDo not put apps in cgroups; their trees are followed through /proc.\n"
    ".TP\nDROVER_DEBUG\nDebug messages in daemon.log and the supervisors' logs.\n"
    ".PP\nEvery app process carries DROVER_INSTANCE_KEY, how drover finds what a dead supervisor "
    "left behind; cluster instances get NODE_APP_INSTANCE (their slot) and pm_id.\n"
    ".SH FILES\n"
    ".TP\n$DROVER_HOME/\ndaemon.log, state.json (the apps), dump.json (`drover save`), logs/, "
    "pids/.\n"
    ".TP\n$XDG_RUNTIME_DIR/drover/daemon.sock\nThe daemon's control socket (mode 0600).\n"
    ".TP\n" DROVER_HELPER_DIR "/\ndroverd, drover-sup (one per instance), drover-gzip, "
    "libdrover-preload.so and drover-monit (drover monit), found next to each other (in a build "
    "tree, next to drover).\n"
    ".SH EXIT STATUS\n"
    "0: done. 1: failed (a target that matches nothing, an instance that errored, or that had to "
    "signal or serve and exited or timed out first). 2: a command line drover cannot read.\n"
    ".SH EXAMPLES\n"
    ".nf\n"
    "drover start app.js --name api -i max\n"
    "drover start \"gunicorn app:wsgi\" -i 4 --listen 8000\n"
    "drover start ecosystem.config.js --env production\n"
    "drover reload api\n"
    "drover scale api +2\n"
    "drover logs api --lines 100 --timestamp\n"
    "drover save && drover startup\n"
    ".fi\n";

static const char *const see_also_more = ".BR systemd.service (5).\n"
                                         "The guides in /usr/share/doc/drover/ (architecture, "
                                         "install, logs, triggers, migrating from PM2).\n";

static void write_verb(FILE *out, const struct verb_doc *v)
{
    size_t first = strcspn(v->names, "|");
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(first < sizeof(name) ? first : sizeof(name) - 1),
             v->names);
    fputs(".TP\n", out);
    roff_bold(out, name);
    if (*v->synopsis) {
        fputc(' ', out);
        roff_synopsis(out, v->synopsis);
    }
    fputc('\n', out);
    roff_text(out, v->summary);
    fputc('\n', out);
    if (v->names[first]) {
        fputs("Also: ", out);
        for (const char *p = v->names + first + 1; *p;) {
            size_t n = strcspn(p, "|");
            snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), p);
            roff_bold(out, name);
            p += n + (p[n] != '\0');
            fputs(*p ? ", " : ".\n", out);
        }
    }
}

static void write_commands(FILE *out)
{
    fputs(".SH COMMANDS\n", out);
    const char *group = NULL;
    for (size_t i = 0; i < verb_docs_len; i++) {
        if (!group || strcmp(group, verb_docs[i].group) != 0) {
            group = verb_docs[i].group;
            fputs(".SS ", out);
            roff_text(out, group);
            fputc('\n', out);
        }
        write_verb(out, &verb_docs[i]);
    }
}

static void write_options(FILE *out)
{
    roff_prose(
        out,
        ".SH OPTIONS OF START, RESTART AND RELOAD\n"
        "Each is also a key of ecosystem files, named after the flag; keys with no flag are in "
        ".BR drover\\-ecosystem (5).\n"
        "Durations are milliseconds or 1.5s, 2m, 1h; sizes are bytes or 10K, 300M, 1G.\n");
    for (size_t i = 0; i < opt_table_len; i++) {
        const struct opt_def *d = &opt_table[i];
        if (!d->flag)
            continue;
        char buf[128];
        const char *value = man_option_value(d, buf, sizeof(buf));
        fputs(".TP\n", out);
        if (d->short_flag) {
            roff_bold(out, d->short_flag);
            fputs(", ", out);
        }
        roff_bold(out, d->flag);
        if (value && !d->cli_negates) {
            fputs(" \\fI", out);
            roff_text(out, value);
            fputs("\\fR", out);
        }
        fputc('\n', out);
        roff_text(out, d->help);
        fputs(" (key ", out);
        roff_bold(out, d->key);
        if (d->def) {
            fputs(", default ", out);
            roff_text(out, d->def);
        }
        fputs(")\n", out);
    }
}

static void write_pm2(FILE *out)
{
    roff_prose(out, ".SH PM2 VERBS DROVER DOES NOT RUN\n"
                    "Each answers with one line saying what to use instead (`drover help pm2` "
                    "lists every PM2 verb).\n");
    for (size_t i = 0; i < pm2_verbs_len; i++) {
        const struct pm2_verb *v = &pm2_verbs[i];
        if (v->status == PM2_VERB_SAME)
            continue;
        fputs(".TP\n", out);
        for (const char *p = v->names; *p;) {
            size_t n = strcspn(p, "|");
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), p);
            roff_bold(out, name);
            p += n + (p[n] != '\0');
            fputs(*p ? ", " : "\n", out);
        }
        if (v->status == PM2_VERB_NOT_YET)
            fputs("Not yet: ", out);
        roff_text(out, v->note);
        fputc('\n', out);
    }
}

void man_write_drover(FILE *out, const struct man_context *ctx)
{
    (void)ctx;
    const struct man_page *page = man_page_find("drover");
    man_header(out, page, "process manager and cluster runtime for Linux");
    fputs(".SH SYNOPSIS\n.B drover\n.I command\n.RI [ arguments ]\n.RB [ \\-\\-json ]\n", out);
    roff_prose(out, description);
    write_commands(out);
    roff_prose(out, targets);
    write_options(out);
    roff_prose(out, tail);
    write_pm2(out);
    man_see_also(out, page, see_also_more);
}
