/* completion.h - what Tab offers after `drover`: the candidates for the
 * word being typed, from the tables the CLI runs on (the verb table of
 * main.c, start's options in config/options.h) and each verb's own flags
 * and words (completion.c); targets (app names, ids, namespaces) come from
 * a callback, so the caller decides how to reach the daemon and a test can
 * stand in for it.
 *
 * The shell scripts (completion_scripts.h) run `drover __complete <words>`
 * and show what it prints: one candidate per line, and a last line
 * ":files" when the shell should offer file names too. */
#pragma once

#include <jansson.h>
#include <stdio.h>

#define COMPLETION_FILES_LINE ":files"

/* The running apps, for targets: list returns a new array of process
 * objects (with "id", "name", "namespace"), or NULL when none can be had
 * (no daemon: no names are offered, nothing is started). */
struct completion_targets {
    json_t *(*list)(void *ctx);
    void *ctx;
};

/* words are what follows `drover` on the command line up to the cursor,
 * the last one being the word under the cursor (maybe ""); n_words >= 1.
 * Writes every candidate that starts with that word to out, one per line,
 * then COMPLETION_FILES_LINE when file names fit there too. targets may be
 * NULL (no app names). Returns the number of candidates written. */
size_t completion_candidates(int n_words, char *const *words,
                             const struct completion_targets *targets, FILE *out);
