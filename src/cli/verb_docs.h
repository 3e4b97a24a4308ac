/* verb_docs.h - one row per drover verb (with its aliases): what it takes,
 * what it does, and how Tab completes it. drover(1)'s COMMANDS section
 * (man_pages.c) and shell completion (completion.c) both come from this
 * table; `drover __manpage` refuses to print a page while a verb of
 * main.c's table has no row here, or a row names no verb (so the build
 * fails instead of the page drifting). */
#pragma once

#include <stddef.h>

/* What a verb takes after its name (args). */
#define VERB_ARG_TARGETS 1u  /* targets: names, ids, namespaces, all */
#define VERB_ARG_APP 2u      /* one app name first (scale, id) */
#define VERB_ARG_SIGNAL 4u   /* a signal first, then targets (sendSignal) */
#define VERB_ARG_FILES 8u    /* scripts, binaries, ecosystem files */
#define VERB_ARG_OPTIONS 16u /* the app options of config/options.h (start, restart, reload) */

struct verb_doc {
    const char *group;    /* the heading it is listed under */
    const char *names;    /* '|'-separated: the verb, then its aliases */
    const char *synopsis; /* what follows the verb, "" when nothing */
    const char *summary;  /* what it does, one or two sentences */
    unsigned args;        /* VERB_ARG_* */
    const char *words;    /* fixed words of the first argument, space-separated, or NULL */
    /* the verb's own flags, space-separated: "--x=" takes a value, and
     * after the '=' comes "/" (file names) or its values, '|'-separated;
     * NULL when none (the e2e test_completion.py checks each one) */
    const char *flags;
};

extern const struct verb_doc verb_docs[];
extern const size_t verb_docs_len;

/* The row naming verb (one of its '|'-separated names), or NULL. */
const struct verb_doc *verb_doc_find(const char *verb);
