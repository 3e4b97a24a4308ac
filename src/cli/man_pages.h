/* man_pages.h - drover's man pages in roff, generated from the tables the
 * binary runs on, so they cannot drift from it: drover(1) from the verb
 * docs (verb_docs.h), the option table (config/options.h) and PM2's verb
 * table (pm2_verbs.h); drover-ecosystem(5) from the option table;
 * drover-runtime(1) around the runtime's own --help text; droverd(8).
 * `drover __manpage <page>` prints one (cmd_manpage.c); the build installs
 * them, and `man --warnings` checks them in the tests. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "config/options.h"

/* What a page needs from outside the tables. */
struct man_context {
    const char *runtime_help; /* `drover-runtime --help`'s output, or NULL */
};

/* The pages, in the order `__manpage --list` prints them. */
struct man_page {
    const char *name; /* "drover-ecosystem" */
    int section;
    void (*write)(FILE *out, const struct man_context *ctx);
};

extern const struct man_page man_pages[];
extern const size_t man_pages_len;

/* The page called name, or NULL. */
const struct man_page *man_page_find(const char *name);

/* Writes the page's .TH line (dated by SOURCE_DATE_EPOCH when set, for
 * reproducible builds), and its NAME section with the one-line summary. */
void man_header(FILE *out, const struct man_page *page, const char *summary);

/* Writes the SEE ALSO section: every other page of man_pages (so a new
 * page is listed everywhere), then more (roff, may be NULL). */
void man_see_also(FILE *out, const struct man_page *page, const char *more);

/* The placeholder of an option's value in a synopsis ("duration",
 * "fork|cluster"), or NULL for a switch. */
const char *man_option_value(const struct opt_def *d, char *buf, size_t len);

/* Writes one line per drift between main.c's verb table and the verb docs
 * or PM2's table: a verb with no row in verb_docs.c, a row naming no verb,
 * a PM2 verb marked "same" that drover does not run. Returns the count. */
size_t man_drift(FILE *out);

/* The page writers (man_drover.c, man_ecosystem.c, man_runtime.c). */
void man_write_drover(FILE *out, const struct man_context *ctx);
void man_write_ecosystem(FILE *out, const struct man_context *ctx);
void man_write_runtime(FILE *out, const struct man_context *ctx);
void man_write_droverd(FILE *out, const struct man_context *ctx);
