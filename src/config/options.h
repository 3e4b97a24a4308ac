/* options.h - the table of every app option drover knows.
 *
 * One row per option: its ecosystem-file key (PM2's name), its CLI flag
 * (PM2's where PM2 has one), its type, and one line of help. The config
 * parser (app_config.c), the CLI flag parser and `drover help options` all
 * read this table, so an option is declared exactly once. */
#pragma once

#include <stddef.h>

enum opt_type {
    OPT_STRING,    /* "text" */
    OPT_BOOL,      /* true/false ("true"/"false"/"1"/"0" on the CLI) */
    OPT_INT,       /* integer */
    OPT_DURATION,  /* ms as integer, or "1.5s", "2m" */
    OPT_SIZE,      /* bytes as integer, or "10M", "1G" */
    OPT_SIGNAL,    /* "SIGINT", "INT" or number */
    OPT_ARGS,      /* string (split like a shell would, without a shell) or array of strings */
    OPT_STRINGS,   /* string, comma-separated string, or array of strings */
    OPT_INTS,      /* integer or array of integers */
    OPT_ENV,       /* object of variables */
    OPT_INSTANCES, /* integer, "max", 0 (= max) or -1 (= max - 1) */
    OPT_BOOL_OR_STRINGS, /* true/false or paths (watch) */
    OPT_LISTEN,          /* address or array of addresses: "3000", "127.0.0.1:8080", "[::]:443" */
};

struct opt_def {
    const char *key;        /* ecosystem key, e.g. "kill_timeout" */
    const char *flag;       /* CLI flag, e.g. "--kill-timeout"; NULL when file-only */
    const char *short_flag; /* e.g. "-i"; NULL if none */
    enum opt_type type;
    int cli_negates; /* the flag sets false (--no-autorestart) */
    const char *help;
};

/* The table, and its length. */
extern const struct opt_def opt_table[];
extern const size_t opt_table_len;

/* Finds an option by ecosystem key. NULL if unknown. */
const struct opt_def *opt_by_key(const char *key);

/* Finds an option by CLI flag ("--kill-timeout" or "-i"). NULL if unknown. */
const struct opt_def *opt_by_flag(const char *flag);

/* Keys that are accepted for PM2 compatibility but do nothing in drover
 * (documented in README). Returns 1 for such keys. */
int opt_is_ignored_pm2_key(const char *key);
