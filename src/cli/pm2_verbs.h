/* pm2_verbs.h - every verb of PM2 7's CLI and what drover does with it:
 * the one table (pm2_verbs.c) behind the answer to a PM2 verb drover does
 * not cover (one line naming the verb and what to use instead, never the
 * generic "unknown command"), `drover help pm2`, and the verb section of
 * docs/pm2-migration.md (tests/unit/test_pm2_verbs.c checks that the doc
 * is what pm2_verbs_markdown prints). */
#pragma once

#include <stddef.h>
#include <stdio.h>

enum pm2_verb_status {
    PM2_VERB_SAME,        /* drover has it under the same name(s) */
    PM2_VERB_NOT_YET,     /* planned: the note says what to use meanwhile */
    PM2_VERB_NOT_COVERED, /* out of scope: the note says what to use instead */
};

struct pm2_verb {
    const char *names; /* PM2's name and aliases, "dashboard|dash" */
    enum pm2_verb_status status;
    const char *note; /* SAME: notes (may be ""); else what to use instead, one line */
};

extern const struct pm2_verb pm2_verbs[];
extern const size_t pm2_verbs_len;

/* Is word (len bytes) one of the '|'-separated names ("dashboard|dash")? */
int pm2_names_has(const char *names, const char *word, size_t len);

/* The entry naming verb (one of its '|'-separated names), or NULL. */
const struct pm2_verb *pm2_verb_find(const char *verb);

/* Prints the one-line answer for a verb drover does not run ("drover:
 * '<verb>' is not covered: <note>") to stderr. Returns the exit code, 2. */
int pm2_verb_answer(const struct pm2_verb *v, const char *verb);

/* Writes the Markdown table of every verb (the doc's section between its
 * markers): a header, then one row per entry. */
void pm2_verbs_markdown(FILE *out);
