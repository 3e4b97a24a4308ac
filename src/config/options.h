/* options.h - the table of every app option drover knows.
 *
 * One row per option: its ecosystem-file key (PM2's name), its CLI flag
 * (PM2's where PM2 has one), its type, its default (as a user would write
 * it), the field of struct app_config it fills (app_config.h), and one line
 * of help. The config parser (app_config.c), the CLI flag parser, `drover
 * help options` and README's reference all come from this table, so adding
 * an option is one row here and the field it fills. */
#pragma once

#include <stddef.h>

enum opt_type {
    OPT_STRING,    /* "text" -> const char * */
    OPT_BOOL,      /* true/false ("true"/"false"/"1"/"0" on the CLI) -> int */
    OPT_INT,       /* integer -> int64_t */
    OPT_DURATION,  /* ms as integer, or "1.5s", "2m" -> int64_t ms */
    OPT_SIZE,      /* bytes as integer, or "10M", "1G" -> int64_t bytes */
    OPT_SIGNAL,    /* "SIGINT", "INT" or number -> int */
    OPT_ENUM,      /* one of opt_def.choices -> int (its index) */
    OPT_INTERVAL,  /* hourly, daily, weekly or a duration of at least 1 s -> int64_t ms */
    OPT_ARGS,      /* string (split like a shell would, without a shell) or array -> json_t * */
    OPT_STRINGS,   /* string, comma-separated string, or array of strings -> json_t * */
    OPT_INTS,      /* integer or array of integers -> json_t * */
    OPT_ENV,       /* object of variables -> json_t * */
    OPT_INSTANCES, /* integer, "max", 0 (= max) or -1 (= max - 1) -> int64_t */
    OPT_BOOL_OR_STRINGS, /* true/false or paths (watch) -> json_t * */
    OPT_LISTEN,          /* address or array: "3000", "127.0.0.1:8080", "[::]:443" -> json_t * */
};

/* Rows that fill no field (aliases, CLI-only words) have this offset. */
#define OPT_NO_FIELD ((size_t)-1)

struct opt_def {
    const char *key;        /* ecosystem key, e.g. "kill_timeout" */
    const char *flag;       /* CLI flag, e.g. "--kill-timeout"; NULL when file-only */
    const char *short_flag; /* e.g. "-i"; NULL if none */
    enum opt_type type;
    int cli_negates;            /* the flag sets false (--no-autorestart) */
    const char *def;            /* default, written as a user would; NULL: unset */
    size_t offset;              /* the field in struct app_config, or OPT_NO_FIELD */
    const char *const *choices; /* OPT_ENUM: NULL-terminated, index = value */
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
 * and are not kept (documented in README). Returns 1 for such keys. */
int opt_is_ignored_pm2_key(const char *key);

/* The key a PM2 spelling stands for ("node_args" -> "interpreter_args",
 * "out" -> "out_file", "cmd" -> "script"); any other key unchanged. */
const char *opt_canonical_key(const char *key);

/* Why an option is accepted but has nothing to act on in drover (PM2's
 * agent flags, --no-treekill), for a one-line notice; NULL for the rest. */
const char *opt_notice(const struct opt_def *d);
