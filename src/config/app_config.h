/* app_config.h - one app's configuration: validated and normalized once,
 * then read through typed fields.
 *
 * app_config_normalize takes a JSON object using PM2's option names (from
 * an ecosystem file or built by the CLI from flags) and returns it in
 * canonical form: durations and sizes as integers (ms, bytes), signals as
 * "SIGINT", args as arrays, booleans as booleans, enumerations as their
 * canonical word, instances an integer (0 = all usable CPUs, -1 = all but
 * one). Absent keys stay absent: that object is what state.json, dump.json
 * and `describe` keep. Unknown keys are dropped with a warning naming the
 * key; an invalid value is an error naming the app, the key and the value.
 *
 * app_config_load turns a normalized object into struct app_config: every
 * field set, from the object or from the option table's default
 * (options.h). Code reads the struct, never the JSON by key. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_HARD_MAX_INSTANCES 4096
#define CFG_LEAST_CONN_MAX_INSTANCES                                                               \
    64 /* slots balancing least_conn weighs (proto/least_conn.h)                                   \
        */
#define CFG_MAX_NAME_LEN 128

enum exec_mode { EXEC_FORK, EXEC_CLUSTER };
enum balancing { BALANCE_SHARED, BALANCE_SLOTS, BALANCE_STICKY, BALANCE_LEAST_CONN };
enum log_type { LOG_TYPE_RAW, LOG_TYPE_JSON };

/* Every option, typed. Strings and JSON values are borrowed from `json`
 * and live as long as it does; NULL means unset (no default). */
struct app_config {
    json_t *json; /* the normalized object (a reference, app_config_free drops it) */
    /* what to run */
    const char *name, *script, *interpreter, *cwd, *namespace;
    json_t *args, *interpreter_args, *env, *filter_env;
    int append_env_to_name;
    /* instances and sockets */
    int64_t instances;
    int exec_mode; /* enum exec_mode */
    json_t *listen;
    int64_t port;
    int64_t metrics_port;     /* the app's own metrics: instance k on metrics_port + k; 0 none */
    const char *metrics_path; /* "/metrics" */
    int balancing;            /* enum balancing */
    const char *instance_var, *increment_var;
    const char *user, *uid, *gid;
    /* readiness */
    int wait_ready;
    int64_t listen_timeout_ms;
    /* restart policy and triggers */
    int autorestart, autostart;
    int64_t min_uptime_ms, max_restarts, restart_delay_ms, exp_backoff_ms;
    json_t *stop_exit_codes;
    const char *cron_restart;
    int64_t max_memory_restart;
    json_t *watch, *ignore_watch, *watch_extensions;
    int64_t watch_delay_ms;
    /* stopping */
    int64_t drain_timeout_ms;
    int kill_signal;
    int64_t kill_timeout_ms;
    int shutdown_with_message;
    /* logs */
    const char *out_file, *error_file, *log_file, *log_date_format, *pid_file;
    int merge_logs, disable_logs, time;
    int log_type; /* enum log_type */
    int64_t max_size, retain, rotate_interval_ms;
    int compress;
    /* limits */
    int64_t max_instances;
};

/* Normalizes one app object (in is borrowed). On success stores a new
 * object in *out and returns 0. Unknown keys append a message to warnings
 * (a JSON array; may be NULL). On failure returns -EINVAL and writes
 * "app 'NAME': KEY: problem" into err. */
int app_config_normalize(json_t *in, json_t **out, json_t *warnings, char *err, size_t errlen);

/* Fills *cfg from a normalized object (taking a reference to it) and the
 * table's defaults. Release with app_config_free. */
void app_config_load(struct app_config *cfg, json_t *normalized);

/* Drops the reference app_config_load took; *cfg is zeroed. */
void app_config_free(struct app_config *cfg);

/* The default of the option key, as struct app_config holds it after
 * app_config_load of an empty object (e.g. for messages). */
const struct app_config *app_config_defaults(void);

/* Checks an app or namespace name: 1 to CFG_MAX_NAME_LEN bytes, no '/'
 * and no control characters (newline, ESC, CR...), not "all", "." or "..",
 * no leading '-'; numbers are names (PM2: targets look for a name first,
 * then an id). Returns 0, or -EINVAL with the reason in why ("must not
 * contain ..."). The one validator behind every path that creates or
 * restores an app. */
int app_name_check(const char *name, char *why, size_t whylen);

/* The word of an enumerated option's value ("cluster", "slots", "json"). */
const char *app_config_choice(const char *key, int value);

/* How many instances the app may run: max_instances, and at most
 * CFG_LEAST_CONN_MAX_INSTANCES with balancing least_conn. why names the
 * bound for messages ("max_instances" or "least_conn"). */
int64_t app_config_instance_cap(const struct app_config *cfg, const char **why);
