/* man_ecosystem.c - drover-ecosystem(5): the file forms, then every key of
 * the option table (man_pages.h). */
#include "cli/man_pages.h"
#include "cli/roff.h"

static const char *const head =
    ".SH SYNOPSIS\n"
    "ecosystem.config.js, ecosystem.config.cjs, ecosystem.config.mjs, or any .json, .yml or "
    ".yaml file\n"
    ".SH DESCRIPTION\n"
    "An ecosystem file lists the apps drover runs, in PM2's format: an object whose `apps` is an "
    "array of app objects (PM2's older `pm2` too), a bare array of apps, or one app object. "
    "JSON files are read as JSON (what JSON rejects, such as comments, is evaluated by node as a "
    "JavaScript literal, as PM2 does); YAML files as YAML; .config.js, .cjs and .mjs modules are "
    "evaluated by node, exactly as PM2 does. At most 16 MiB of text and 1024 apps.\n"
    ".PP\n"
    "`drover start <file>` starts its apps (`--only a,b` picks some), `drover startOrRestart "
    "<file>` and `startOrReload` apply it: restarting from a file applies the file, and "
    "variables removed from it disappear. Relative paths in the file are relative to its "
    "directory.\n"
    ".SH EXAMPLE\n"
    ".nf\n"
    "module.exports = {\n"
    "  apps: [{\n"
    "    name: \"api\",\n"
    "    script: \"server.js\",\n"
    "    instances: \"max\",\n"
    "    exec_mode: \"cluster\",\n"
    "    env: { NODE_ENV: \"development\" },\n"
    "    env_production: { NODE_ENV: \"production\" },\n"
    "  }, {\n"
    "    name: \"worker\",\n"
    "    script: \"worker.py\",\n"
    "    max_memory_restart: \"300M\",\n"
    "    cron_restart: \"0 3 * * *\",\n"
    "  }],\n"
    "};\n"
    ".fi\n"
    ".SH KEYS\n"
    "Each key but `script` and `args` has a flag of `drover start` too, given below. Durations "
    "are milliseconds or 1.5s, 2m, 1h; sizes are bytes or 10K, 300M, 1G.\n";

static const char *const tail =
    ".SH ENVIRONMENTS\n"
    "A key `env_<name>` holds variables merged into `env` when the file is started with `--env "
    "<name>` (with `append_env_to_name`, the app is renamed `<name>-<env>`).\n"
    ".SH PM2 SPELLINGS\n"
    "PM2's other spellings of keys are accepted (`node_args`, `out`, `err`, `log`, `cron`, "
    "`cmd`, ...), and keys PM2 uses that have nothing to act on here (its agent's, `force`, "
    "`watch_options`, ...) are accepted and ignored; docs/pm2-migration.md lists every one.\n";

void man_write_ecosystem(FILE *out, const struct man_context *ctx)
{
    (void)ctx;
    const struct man_page *page = man_page_find("drover-ecosystem");
    man_header(out, page, "the apps drover runs, in PM2's format");
    roff_prose(out, head);
    for (size_t i = 0; i < opt_table_len; i++) {
        const struct opt_def *d = &opt_table[i];
        char buf[128];
        const char *value = man_option_value(d, buf, sizeof(buf));
        fputs(".TP\n", out);
        roff_bold(out, d->key);
        fputs(" \\fI", out);
        roff_text(out, value ? value : "true|false");
        fputs("\\fR\n", out);
        roff_text(out, d->help);
        fputs(".", out);
        if (d->def) {
            fputs(" Default: ", out);
            roff_text(out, d->def);
            fputs(".", out);
        }
        if (d->flag) {
            fputs(" Flag: ", out);
            roff_bold(out, d->flag);
            fputs(".", out);
        }
        fputc('\n', out);
    }
    roff_prose(out, tail);
    man_see_also(out, page, NULL);
}
