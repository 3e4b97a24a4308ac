/* options.c - the table of every app option drover knows (options.h). */
#include "config/options.h"
#include "config/app_config.h"

#include <string.h>

#define F(member) offsetof(struct app_config, member)
#define NONE OPT_NO_FIELD

static const char *const exec_modes[] = {"fork", "cluster", NULL};
static const char *const balancings[] = {"shared", "slots", "sticky", "least_conn", NULL};
static const char *const log_types[] = {"raw", "json", NULL};

/* clang-format off */
const struct opt_def opt_table[] = {
    /* what to run */
    {"name", "--name", "-n", OPT_STRING, 0, NULL, F(name), NULL,
     "app name (default: script name without extension)"},
    {"script", NULL, NULL, OPT_STRING, 0, NULL, F(script), NULL,
     "script, binary or command to run"},
    {"args", NULL, NULL, OPT_ARGS, 0, NULL, F(args), NULL,
     "arguments (string or array); on the CLI, after --"},
    {"interpreter", "--interpreter", NULL, OPT_STRING, 0, NULL, F(interpreter), NULL,
     "interpreter (default from the extension: .js node, .py python3, .sh bash, .rb ruby; "
     "\"none\" to exec directly)"},
    {"interpreter_args", "--interpreter-args", NULL, OPT_ARGS, 0, NULL, F(interpreter_args), NULL,
     "arguments for the interpreter"},
    {"node_args", "--node-args", NULL, OPT_ARGS, 0, NULL, NONE, NULL,
     "alias of interpreter_args"},
    {"cwd", "--cwd", NULL, OPT_STRING, 0, NULL, F(cwd), NULL, "working directory"},
    {"env", NULL, NULL, OPT_ENV, 0, NULL, F(env), NULL,
     "environment variables (CLI: --env KEY=VALUE, repeatable)"},
    {"namespace", "--namespace", NULL, OPT_STRING, 0, "default", F(namespace), NULL,
     "namespace, usable as a target"},
    {"filter_env", "--filter-env", NULL, OPT_STRINGS, 0, NULL, F(filter_env), NULL,
     "drop variables with these prefixes from the inherited environment (true: all)"},
    {"append_env_to_name", "--append-env-to-name", NULL, OPT_BOOL, 0, "false",
     F(append_env_to_name), NULL, "append the --env name to the app name"},
    /* instances and sockets */
    {"instances", "--instances", "-i", OPT_INSTANCES, 0, "1", F(instances), NULL,
     "instance count: N, max or 0 (usable CPUs), -N (CPUs - N, at least 1)"},
    {"exec_mode", "--exec-mode", NULL, OPT_ENUM, 0, "fork", F(exec_mode), exec_modes,
     "fork or cluster (-i implies cluster; -x/--execute-command: fork)"},
    {"listen", "--listen", NULL, OPT_LISTEN, 0, NULL, F(listen), NULL,
     "addresses the daemon binds and shares: \"3000\", \"127.0.0.1:8080\", \"[::]:443\""},
    {"port", "--port", NULL, OPT_INT, 0, "0", F(port), NULL,
     "sets PORT for the app (the port is shared when the app binds it)"},
    {"metrics_port", "--metrics-port", NULL, OPT_INT, 0, "0", F(metrics_port), NULL,
     "each instance serves its own Prometheus metrics on 127.0.0.1:<metrics_port + instance "
     "number> (METRICS_PORT in its environment), merged by the daemon at /metrics/app/<name>"},
    {"metrics_path", "--metrics-path", NULL, OPT_STRING, 0, "/metrics", F(metrics_path), NULL,
     "the path of each instance's own metrics (metrics_port)"},
    {"balancing", "--balancing", NULL, OPT_ENUM, 0, "shared", F(balancing), balancings,
     "cluster balancing: shared (one socket), slots (one SO_REUSEPORT socket per slot), "
     "sticky (slots, and a client address always goes to the same slot) or least_conn (slots, "
     "and a new connection goes to the slot with the fewest open ones; a root daemon)"},
    {"instance_var", "--instance-var", NULL, OPT_STRING, 0, "NODE_APP_INSTANCE",
     F(instance_var), NULL, "variable holding the instance number"},
    {"increment_var", "--increment-var", NULL, OPT_STRING, 0, NULL, F(increment_var), NULL,
     "variable incremented per instance (e.g. PORT)"},
    {"user", "--user", "-u", OPT_STRING, 0, NULL, F(user), NULL,
     "run as this user (daemon as root)"},
    {"uid", "--uid", NULL, OPT_STRING, 0, NULL, F(uid), NULL, "run as this uid (name or number)"},
    {"gid", "--gid", NULL, OPT_STRING, 0, NULL, F(gid), NULL, "run with this gid (name or number)"},
    /* readiness */
    {"wait_ready", "--wait-ready", NULL, OPT_BOOL, 0, "false", F(wait_ready), NULL,
     "wait for process.send('ready') (node) or READY=1 before online"},
    {"listen_timeout", "--listen-timeout", NULL, OPT_DURATION, 0, "8s", F(listen_timeout_ms),
     NULL, "readiness deadline; expiring is a failure"},
    /* restart policy */
    {"autorestart", "--no-autorestart", NULL, OPT_BOOL, 1, "true", F(autorestart), NULL,
     "restart when the app exits"},
    {"min_uptime", "--min-uptime", NULL, OPT_DURATION, 0, "1s", F(min_uptime_ms), NULL,
     "a run shorter than this is unstable"},
    {"max_restarts", "--max-restarts", NULL, OPT_INT, 0, "16", F(max_restarts), NULL,
     "unstable restarts in a row before errored"},
    {"restart_delay", "--restart-delay", NULL, OPT_DURATION, 0, "0", F(restart_delay_ms), NULL,
     "wait before restarting"},
    {"exp_backoff_restart_delay", "--exp-backoff-restart-delay", NULL, OPT_DURATION, 0, "0",
     F(exp_backoff_ms), NULL, "exponential backoff start, x1.5 per restart up to 15 s (0: off)"},
    {"stop_exit_codes", "--stop-exit-codes", NULL, OPT_INTS, 0, NULL, F(stop_exit_codes), NULL,
     "exit codes that do not trigger a restart"},
    {"cron_restart", "--cron", "-c", OPT_STRING, 0, NULL, F(cron_restart), NULL,
     "restart on a cron schedule (5 or 6 fields; also --cron-restart)"},
    {"max_memory_restart", "--max-memory-restart", NULL, OPT_SIZE, 0, "0", F(max_memory_restart),
     NULL, "restart (cluster: reload) when the tree uses more memory (\"300M\"; 0: off)"},
    {"autostart", "--no-autostart", NULL, OPT_BOOL, 1, "true", F(autostart), NULL,
     "start the app when it is added"},
    {"watch", "--watch", NULL, OPT_BOOL_OR_STRINGS, 0, NULL, F(watch), NULL,
     "restart on file changes (true or paths)"},
    {"ignore_watch", "--ignore-watch", NULL, OPT_STRINGS, 0, NULL, F(ignore_watch), NULL,
     "paths or globs the watch ignores"},
    {"watch_delay", "--watch-delay", NULL, OPT_DURATION, 0, "300", F(watch_delay_ms), NULL,
     "quiet period before a watch restart (ms; on the CLI a plain number is seconds)"},
    {"watch_extensions", "--ext", NULL, OPT_STRINGS, 0, NULL, F(watch_extensions), NULL,
     "only changes to files with these extensions restart (\"js,json\")"},
    /* stopping */
    {"drain_timeout", "--drain-timeout", NULL, OPT_DURATION, 0, "5s", F(drain_timeout_ms), NULL,
     "before the stop signal: new connections go to other instances and the accepted ones "
     "finish, for at most this long (0: off)"},
    {"kill_signal", "--kill-signal", NULL, OPT_SIGNAL, 0, "SIGINT", F(kill_signal), NULL,
     "stop signal"},
    {"kill_timeout", "--kill-timeout", "-k", OPT_DURATION, 0, "5s", F(kill_timeout_ms), NULL,
     "wait after the stop signal before SIGKILL of the whole tree"},
    {"shutdown_with_message", "--shutdown-with-message", NULL, OPT_BOOL, 0, "false",
     F(shutdown_with_message), NULL,
     "stop by sending 'shutdown' over the node IPC channel instead of the stop signal"},
    /* logs */
    {"out_file", "--output", "-o", OPT_STRING, 0, NULL, F(out_file), NULL,
     "stdout log file (/dev/null: off)"},
    {"error_file", "--error", "-e", OPT_STRING, 0, NULL, F(error_file), NULL,
     "stderr log file (/dev/null: off)"},
    {"log_file", "--log", "-l", OPT_STRING, 0, NULL, F(log_file), NULL,
     "combined log file, both streams"},
    {"merge_logs", "--merge-logs", NULL, OPT_BOOL, 0, "false", F(merge_logs), NULL,
     "one log file for all instances"},
    {"disable_logs", "--disable-logs", NULL, OPT_BOOL, 0, "false", F(disable_logs), NULL,
     "discard all output"},
    {"time", "--time", NULL, OPT_BOOL, 0, "false", F(time), NULL,
     "prefix every line with a timestamp"},
    {"log_date_format", "--log-date-format", NULL, OPT_STRING, 0, NULL, F(log_date_format), NULL,
     "strftime format of --time (turns it on)"},
    {"log_type", "--log-type", NULL, OPT_ENUM, 0, "raw", F(log_type), log_types,
     "raw or json (one object per line)"},
    {"max_size", "--max-size", NULL, OPT_SIZE, 0, "0", F(max_size), NULL,
     "rotate a log file at this size (\"10M\"; 0: never)"},
    {"retain", "--retain", NULL, OPT_INT, 0, "0", F(retain), NULL,
     "rotated files kept per log (0: all)"},
    {"compress", "--compress", NULL, OPT_BOOL, 0, "false", F(compress), NULL,
     "gzip rotated log files"},
    {"rotate_interval", "--rotate-interval", NULL, OPT_INTERVAL, 0, "0", F(rotate_interval_ms),
     NULL, "also rotate periodically: hourly, daily, weekly, or a duration (\"6h\")"},
    {"pid_file", "--pid", "-p", OPT_STRING, 0, NULL, F(pid_file), NULL,
     "pid file (default <home>/pids/<name>-<id>.pid; -<id> goes before .pid)"},
    /* PM2's in-process agent (pmx, vizion, tracing, source maps) and tree
     * killing: accepted, shown in jlist, nothing to act on (opt_notice) */
    {"vizion", "--no-vizion", NULL, OPT_BOOL, 1, NULL, NONE, NULL, "PM2 agent: git metadata"},
    {"pmx", "--no-pmx", NULL, OPT_BOOL, 1, NULL, NONE, NULL, "PM2 agent: metrics"},
    {"automation", "--no-automation", NULL, OPT_BOOL, 1, NULL, NONE, NULL,
     "PM2 agent: automation"},
    {"treekill", "--no-treekill", NULL, OPT_BOOL, 1, NULL, NONE, NULL,
     "PM2: kill only the main process (drover always stops the whole tree)"},
    {"source_map_support", "--source-map-support", NULL, OPT_BOOL, 0, NULL, NONE, NULL,
     "PM2 agent: source maps"},
    {"disable_source_map_support", "--disable-source-map-support", NULL, OPT_BOOL, 0, NULL, NONE,
     NULL, "PM2 agent: source maps"},
    {"trace", "--trace", NULL, OPT_BOOL, 0, NULL, NONE, NULL, "PM2 agent: tracing"},
    {"disable_trace", "--disable-trace", NULL, OPT_BOOL, 0, NULL, NONE, NULL,
     "PM2 agent: tracing"},
    {"v8", "--v8", NULL, OPT_BOOL, 0, NULL, NONE, NULL, "PM2 agent: V8 metrics"},
    {"event_loop_inspector", "--event-loop-inspector", NULL, OPT_BOOL, 0, NULL, NONE, NULL,
     "PM2 agent: event loop metrics"},
    {"deep_monitoring", "--deep-monitoring", NULL, OPT_BOOL, 0, NULL, NONE, NULL,
     "PM2 agent: deep monitoring"},
    /* limits (drover's own) */
    {"max_instances", NULL, NULL, OPT_INT, 0, "256", F(max_instances), NULL,
     "upper bound for scale"},
};
/* clang-format on */

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
        "force",
        "instance_id",
        "post_update",
        "increment_var_start",
        "vizion_running",
        "windowsHide",
        "kill_retry_time",
        "write",
        "io",
        "watch_options",
        "execute_command",
        "username",
        "exec_interpreter_args",
        "pm_exec_path",
        "versioning",
        "version",
    };
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        if (strcmp(ignored[i], key) == 0)
            return 1;
    return 0;
}

/* clang-format off */
static const struct {
    const char *alias, *key;
} aliases[] = {
    {"node_args", "interpreter_args"}, {"combine_logs", "merge_logs"},
    {"exec_interpreter", "interpreter"}, {"error", "error_file"}, {"err_file", "error_file"},
    {"err", "error_file"}, {"err_log", "error_file"}, {"output", "out_file"},
    {"out", "out_file"}, {"out_log", "out_file"}, {"log", "log_file"},
    {"cron", "cron_restart"}, {"pid", "pid_file"}, {"cmd", "script"}, {"command", "script"},
};
/* clang-format on */

const char *opt_canonical_key(const char *key)
{
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(aliases[i].alias, key) == 0)
            return aliases[i].key;
    return key;
}

const char *opt_notice(const struct opt_def *d)
{
    if (d->offset != OPT_NO_FIELD || d->type != OPT_BOOL)
        return NULL;
    if (!strcmp(d->key, "treekill"))
        return "drover always stops the whole process tree";
    return "it is for PM2's in-process agent, which drover does not need";
}
