/* options.c - the table of every app option drover knows. */
#include "config/options.h"

#include <string.h>

const struct opt_def opt_table[] = {
    /* what to run */
    {"name", "--name", "-n", OPT_STRING, 0, "app name (default: script name without extension)"},
    {"script", NULL, NULL, OPT_STRING, 0, "script, binary or command to run"},
    {"args", NULL, NULL, OPT_ARGS, 0, "arguments (string or array); on the CLI, after --"},
    {"interpreter", "--interpreter", NULL, OPT_STRING, 0,
     "interpreter (default from the extension: .js node, .py python3, .sh bash, .rb ruby; "
     "\"none\" to exec directly)"},
    {"interpreter_args", "--interpreter-args", NULL, OPT_ARGS, 0, "arguments for the interpreter"},
    {"node_args", "--node-args", NULL, OPT_ARGS, 0, "alias of interpreter_args"},
    {"cwd", "--cwd", NULL, OPT_STRING, 0, "working directory"},
    {"env", NULL, NULL, OPT_ENV, 0, "environment variables (CLI: --env KEY=VALUE, repeatable)"},
    {"namespace", "--namespace", NULL, OPT_STRING, 0, "namespace, usable as a target"},
    {"filter_env", "--filter-env", NULL, OPT_STRINGS, 0,
     "drop variables with these prefixes from the inherited environment (true: all)"},
    {"append_env_to_name", "--append-env-to-name", NULL, OPT_BOOL, 0,
     "append the --env name to the app name"},
    /* instances and sockets */
    {"instances", "--instances", "-i", OPT_INSTANCES, 0,
     "instance count: N, max (usable CPUs), -1 (CPUs - 1)"},
    {"exec_mode", "--exec-mode", "-x", OPT_STRING, 0, "fork or cluster (-i implies cluster)"},
    {"listen", "--listen", NULL, OPT_LISTEN, 0,
     "addresses the daemon binds and shares: \"3000\", \"127.0.0.1:8080\", \"[::]:443\""},
    {"port", "--port", "-p", OPT_INT, 0,
     "sets PORT for the app (the port is shared when the app binds it)"},
    {"balancing", "--balancing", NULL, OPT_STRING, 0,
     "cluster balancing: shared (one socket) or slots (one SO_REUSEPORT socket per slot)"},
    {"instance_var", "--instance-var", NULL, OPT_STRING, 0,
     "variable holding the instance number (default NODE_APP_INSTANCE)"},
    {"increment_var", "--increment-var", NULL, OPT_STRING, 0,
     "variable incremented per instance (e.g. PORT)"},
    {"user", "--user", "-u", OPT_STRING, 0, "run as this user (daemon as root)"},
    {"uid", "--uid", NULL, OPT_STRING, 0, "run as this uid (name or number)"},
    {"gid", "--gid", NULL, OPT_STRING, 0, "run with this gid (name or number)"},
    /* readiness */
    {"wait_ready", "--wait-ready", NULL, OPT_BOOL, 0,
     "wait for process.send('ready') (node) or READY=1 before online"},
    {"listen_timeout", "--listen-timeout", NULL, OPT_DURATION, 0,
     "readiness deadline; expiring is a failure (default 8s)"},
    /* restart policy */
    {"autorestart", "--no-autorestart", NULL, OPT_BOOL, 1,
     "restart when the app exits (default true)"},
    {"min_uptime", "--min-uptime", NULL, OPT_DURATION, 0,
     "a run shorter than this is unstable (default 1000 ms)"},
    {"max_restarts", "--max-restarts", NULL, OPT_INT, 0,
     "unstable restarts in a row before errored (default 16)"},
    {"restart_delay", "--restart-delay", NULL, OPT_DURATION, 0, "wait before restarting (ms)"},
    {"exp_backoff_restart_delay", "--exp-backoff-restart-delay", NULL, OPT_DURATION, 0,
     "exponential backoff start (ms), x1.5 per restart up to 15 s"},
    {"stop_exit_codes", "--stop-exit-codes", NULL, OPT_INTS, 0,
     "exit codes that do not trigger a restart"},
    {"cron_restart", "--cron-restart", "-c", OPT_STRING, 0,
     "restart on a cron schedule (5 or 6 fields)"},
    {"max_memory_restart", "--max-memory-restart", NULL, OPT_SIZE, 0,
     "restart (cluster: reload) when the tree uses more memory (\"300M\")"},
    {"autostart", "--no-autostart", NULL, OPT_BOOL, 1,
     "start the app when it is added (default true)"},
    {"watch", "--watch", "-w", OPT_BOOL_OR_STRINGS, 0, "restart on file changes (true or paths)"},
    {"ignore_watch", "--ignore-watch", NULL, OPT_STRINGS, 0, "paths or globs the watch ignores"},
    {"watch_delay", "--watch-delay", NULL, OPT_DURATION, 0, "quiet period before a watch restart"},
    /* stopping */
    {"kill_signal", "--kill-signal", NULL, OPT_SIGNAL, 0, "stop signal (default SIGINT)"},
    {"kill_timeout", "--kill-timeout", NULL, OPT_DURATION, 0,
     "wait after the stop signal before SIGKILL of the whole tree (default 5000 ms)"},
    {"shutdown_with_message", "--shutdown-with-message", NULL, OPT_BOOL, 0,
     "stop by sending 'shutdown' over the node IPC channel instead of the stop signal"},
    /* logs */
    {"out_file", "--output", "-o", OPT_STRING, 0, "stdout log file (/dev/null: off)"},
    {"error_file", "--error", "-e", OPT_STRING, 0, "stderr log file (/dev/null: off)"},
    {"log_file", "--log", "-l", OPT_STRING, 0, "combined log file, both streams"},
    {"merge_logs", "--merge-logs", NULL, OPT_BOOL, 0, "one log file for all instances"},
    {"disable_logs", "--disable-logs", NULL, OPT_BOOL, 0, "discard all output"},
    {"time", "--time", NULL, OPT_BOOL, 0, "prefix every line with a timestamp"},
    {"log_date_format", "--log-date-format", NULL, OPT_STRING, 0, "strftime format of --time"},
    {"log_type", "--log-type", NULL, OPT_STRING, 0, "raw (default) or json (one object per line)"},
    {"max_size", "--max-size", NULL, OPT_SIZE, 0, "rotate a log file at this size (\"10M\")"},
    {"retain", "--retain", NULL, OPT_INT, 0, "rotated files kept per log (default: all)"},
    {"compress", "--compress", NULL, OPT_BOOL, 0, "gzip rotated log files"},
    {"rotate_interval", "--rotate-interval", NULL, OPT_STRING, 0,
     "also rotate periodically: hourly, daily, weekly, or a duration (\"6h\")"},
    /* limits (drover's own) */
    {"max_instances", NULL, NULL, OPT_INT, 0, "upper bound for scale (default 256)"},
};

const size_t opt_table_len = sizeof(opt_table) / sizeof(opt_table[0]);

const struct opt_def *opt_by_key(const char *key)
{
    for (size_t i = 0; i < opt_table_len; i++)
        if (strcmp(opt_table[i].key, key) == 0)
            return &opt_table[i];
    return NULL;
}

const struct opt_def *opt_by_flag(const char *flag)
{
    for (size_t i = 0; i < opt_table_len; i++) {
        if (opt_table[i].flag && strcmp(opt_table[i].flag, flag) == 0)
            return &opt_table[i];
        if (opt_table[i].short_flag && strcmp(opt_table[i].short_flag, flag) == 0)
            return &opt_table[i];
    }
    return NULL;
}

int opt_is_ignored_pm2_key(const char *key)
{
    static const char *const ignored[] = {
        "vizion",         "automation",         "pmx",
        "treekill",       "source_map_support", "force",
        "instance_id",    "post_update",        "trace",
        "disable_trace",  "deep_monitoring",    "increment_var_start",
        "vizion_running",
    };
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        if (strcmp(ignored[i], key) == 0)
            return 1;
    return 0;
}
