/* runtime.c - drover-runtime and `drover start --no-daemon` (runtime.h):
 * the daemon as a child, the apps' logs, PID-1 duties, the stop sequence. */
#include "runtime/runtime.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/parse.h"
#include "base/timeutil.h"
#include "cli/client.h"
#include "cli/flag_value.h"
#include "config/listen_addr.h"
#include "runtime/agent.h"
#include "runtime/drain_flag.h"
#include "runtime/probe.h"
#include "runtime/runtime_exit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNTIME_TICK_MS 1000          /* the apps' state is looked at this often */
#define RUNTIME_REST_TICKS 2          /* at rest this many ticks in a row: exit */
#define RUNTIME_DAEMON_GRACE_MS 3000  /* a lost daemon may be replaced by another (update) */
#define RUNTIME_MAX_DAEMON_STARTS 5   /* daemons started again before giving up */
#define RUNTIME_DAEMON_EXIT_MS 15000  /* after `kill`, then SIGKILL */
#define RUNTIME_LOG_SETTLE_MS 300     /* the log readers print the last lines */
#define RUNTIME_REAP_MS 3000          /* orphans waited for before exiting */
#define RUNTIME_AGENT_TIMEOUT_MS 1000 /* the agent's question to the daemon */
#define RUNTIME_LIST_TIMEOUT_MS 3000  /* a tick's look at the apps (signals wait meanwhile) */

struct runtime_opts {
    int json;
    int format; /* --format: key=value lines (`drover logs --format`) */
    int no_auto_exit;
    int64_t shutdown_delay_ms;
    const char *agent;
    const char *http; /* --http: the daemon's DROVER_HTTP (NULL: the environment's) */
};

struct runtime {
    struct cli *c;
    struct runtime_opts o;
    pid_t daemon;       /* our foreground daemon; 0 when another one serves */
    pid_t followers[2]; /* log readers: apps' stdout, apps' stderr */
    int sfd, agent_fd, daemon_log_fd;
    int stop_signals; /* SIGTERM/SIGINT received */
    int64_t stop_at;  /* the shutdown delay ends (0: none pending) */
    int rest_ticks;   /* ticks in a row with every app at rest */
    int64_t daemon_lost_at;
    int daemon_starts;
};

/* One line of the runtime's own, on stderr (a JSON object with --json). */
PRINTF_LIKE(2, 3)
static void say(const struct runtime *rt, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!rt->o.json) {
        fprintf(stderr, "drover-runtime: %s\n", msg);
        return;
    }
    json_t *o = json_pack("{s:s, s:n, s:s, s:s}", "app_name", "drover-runtime", "process_id",
                          "type", "err", "message", msg);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text)
        fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(o);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* --- the command line --- */

/* Moves the runtime's options from c->argv into o; the other words stay,
 * in order, in rest (rest must hold c->argc + 1 pointers). Returns the
 * number of words in rest, or -2 after a usage error. */
static int split_args(struct cli *c, struct runtime_opts *o, char **rest)
{
    int n = 0, dashdash = 0;
    const char *delay = getenv("DROVER_SHUTDOWN_DELAY");
    for (int i = 0; i < c->argc; i++) {
        char *a = c->argv[i];
        const char *v = NULL;
        int t;
        if (dashdash || (dashdash = !strcmp(a, "--"))) {
            rest[n++] = a;
        } else if (!strcmp(a, "--no-daemon") || !strcmp(a, "--raw")) {
            continue;
        } else if (!strcmp(a, "--json")) {
            c->json = 1;
        } else if (!strcmp(a, "--format")) {
            o->format = 1;
        } else if (!strcmp(a, "--no-color")) {
            c->color = 0;
        } else if (!strcmp(a, "-s") || !strcmp(a, "--silent")) {
            c->silent = 1;
        } else if (!strcmp(a, "--no-auto-exit")) {
            o->no_auto_exit = 1;
        } else if ((t = flag_value(c->argc, c->argv, &i, "--shutdown-delay", &v)) != 0) {
            if (t < 0)
                return cli_usage("--shutdown-delay needs a duration (5s, 1500ms)"), -2;
            delay = v;
        } else if ((t = flag_value(c->argc, c->argv, &i, "--agent", &v)) != 0) {
            if (t < 0)
                return cli_usage("--agent needs [address:]port"), -2;
            o->agent = v;
        } else if ((t = flag_value(c->argc, c->argv, &i, "--http", &v)) != 0) {
            struct listen_addr la;
            if (t < 0 || listen_addr_parse(v, &la) < 0)
                return cli_usage("--http needs [address:]port (0.0.0.0:9615, 9615)"), -2;
            o->http = v;
        } else {
            rest[n++] = a;
        }
    }
    if (delay && *delay && parse_duration_ms(delay, &o->shutdown_delay_ms) < 0)
        return cli_usage("bad shutdown delay '%s' (a duration: 5s, 1500ms)", delay), -2;
    o->json = c->json;
    rest[n] = NULL;
    return n;
}

/* --- children --- */

/* A reader of the apps' log files (`drover logs`), writing the apps'
 * stdout lines to our stdout, or their stderr lines to our stderr. It
 * starts before the apps, so it reads their files from the beginning. */
static pid_t start_follower(struct runtime *rt, int err_stream)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0)
        return pid < 0 ? 0 : pid;
    (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
    close(rt->sfd);
    if (rt->agent_fd >= 0)
        close(rt->agent_fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (err_stream && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
        _exit(1);
    char *argv[5] = {"--lines", "0", err_stream ? "--err" : "--out"};
    int argc = 3;
    if (rt->o.format)
        argv[argc++] = "--format";
    else if (!rt->o.json)
        argv[argc++] = "--raw";
    argv[argc] = NULL;
    struct cli lc = *rt->c;
    lc.verb = "logs";
    lc.color = 0;
    lc.json = rt->o.json;
    lc.argv = argv;
    lc.argc = argc;
    _exit(cmd_logs(&lc));
}

/* Starts our foreground daemon; with --http, it gets DROVER_HTTP (the
 * apps, started later from our environment, do not). */
static int start_daemon(struct runtime *rt)
{
    pid_t pid = 0;
    char *saved = NULL;
    const char *before = getenv("DROVER_HTTP");
    if (rt->o.http) {
        if (before && !(saved = strdup(before)))
            return -ENOMEM;
        if (setenv("DROVER_HTTP", rt->o.http, 1) < 0) {
            free(saved);
            return neg_errno();
        }
    }
    /* the first daemon starts from the apps on our command line, not from
     * what a killed predecessor left in a persisted home */
    int fresh = rt->daemon_starts == 0;
    if (fresh)
        (void)setenv("DROVER_FRESH_STATE", "1", 1); /* out of memory: the state is read */
    int r = client_start_foreground_daemon(rt->c, rt->daemon_log_fd, &pid);
    if (fresh)
        unsetenv("DROVER_FRESH_STATE");
    if (rt->o.http) {
        if (saved)
            setenv("DROVER_HTTP", saved, 1);
        else
            unsetenv("DROVER_HTTP");
        free(saved);
    }
    rt->daemon_starts++;
    if (r == -EEXIST)
        return 0; /* another daemon serves this home: use it */
    if (r < 0)
        return r;
    rt->daemon = pid;
    rt->daemon_lost_at = 0;
    return 0;
}

/* Reaps every child that ended: ours, and every orphan PID 1 inherits. */
static void reap(struct runtime *rt)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == rt->daemon) {
            rt->daemon = 0;
            if (!rt->stop_signals) {
                say(rt, "the daemon exited (%s %d): the apps keep running",
                    WIFSIGNALED(status) ? "signal" : "code",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
                rt->daemon_lost_at = mono_ms();
            }
        }
        for (int i = 0; i < 2; i++)
            if (pid == rt->followers[i])
                rt->followers[i] = 0;
    }
}

/* Sends req (stolen) and drops the reply. Returns 0 when it said ok. */
static int request(struct runtime *rt, json_t *req, int timeout_ms)
{
    struct cli rc = *rt->c;
    rc.timeout_ms = timeout_ms;
    rc.silent = 1;
    json_t *reply = NULL;
    int r = req ? client_request(&rc, req, 0, &reply) : -ENOMEM;
    json_decref(req);
    if (r == 0 && !json_is_true(json_object_get(reply, "ok")))
        r = -EIO;
    json_decref(reply);
    return r;
}

/* --- stopping --- */

static void wait_daemon_exit(struct runtime *rt)
{
    int64_t deadline = mono_ms() + RUNTIME_DAEMON_EXIT_MS;
    while (rt->daemon > 0) {
        int status;
        pid_t pid = waitpid(rt->daemon, &status, WNOHANG);
        if (pid == rt->daemon || (pid < 0 && errno == ECHILD)) {
            rt->daemon = 0;
            break;
        }
        if (mono_ms() > deadline) {
            say(rt, "the daemon did not exit: killing it");
            kill(rt->daemon, SIGKILL);
            deadline = INT64_MAX;
        }
        sleep_ms(20);
    }
    if (client_wait_daemon_exit(rt->c, RUNTIME_DAEMON_EXIT_MS) < 0)
        say(rt, "a daemon still holds %s", rt->c->paths.home);
}

/* The end: apps stopped (stop_apps) or at rest, the daemon gone, the last
 * log lines printed, every child reaped. */
static void finish(struct runtime *rt, int stop_apps)
{
    if (stop_apps) {
        say(rt, "stopping every app");
        json_t *targets = json_pack("[s]", "all");
        /* no app at all is "not found": nothing to stop */
        (void)request(rt, json_pack("{s:s, s:o}", "cmd", "stop", "targets", targets), 0);
    }
    (void)request(rt, json_pack("{s:s}", "cmd", "kill"), 0);
    wait_daemon_exit(rt);
    sleep_ms(RUNTIME_LOG_SETTLE_MS);
    for (int i = 0; i < 2; i++)
        if (rt->followers[i] > 0)
            kill(rt->followers[i], SIGTERM);
    (void)drain_flag_clear_all(&rt->c->paths);
    int64_t deadline = mono_ms() + RUNTIME_REAP_MS;
    while (mono_ms() < deadline) {
        pid_t pid = waitpid(-1, NULL, WNOHANG);
        if (pid < 0)
            break; /* ECHILD: nothing left */
        if (pid == 0)
            sleep_ms(10);
    }
}

/* SIGTERM or SIGINT: not ready at once, stop after the delay; a second
 * one stops now. Returns 1 when the apps must be stopped now. */
static int on_stop_signal(struct runtime *rt, int sig)
{
    if (rt->stop_signals++ > 0)
        return 1;
    int r = drain_flag_set(&rt->c->paths, DRAIN_ALL);
    if (r < 0)
        say(rt, "cannot mark the apps draining: %s", strerror(-r));
    if (rt->o.shutdown_delay_ms <= 0)
        return 1;
    say(rt, "%s: not ready now; stopping the apps in %.1f s", signal_name(sig) ?: "signal",
        (double)rt->o.shutdown_delay_ms / 1000.0);
    rt->stop_at = mono_ms() + rt->o.shutdown_delay_ms;
    return 0;
}

static void forward_signal(struct runtime *rt, int sig)
{
    json_t *targets = json_pack("[s]", "all");
    int r = request(rt,
                    json_pack("{s:s, s:s, s:o}", "cmd", "signal", "signal", signal_name(sig),
                              "targets", targets),
                    0);
    if (r < 0)
        say(rt, "cannot forward %s to the apps", signal_name(sig));
}

/* Handles queued signals. Returns 1 when the apps must be stopped now. */
static int read_signals(struct runtime *rt)
{
    struct signalfd_siginfo si;
    int stop = 0;
    while (read(rt->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD)
            reap(rt);
        else if (sig == SIGTERM || sig == SIGINT)
            stop |= on_stop_signal(rt, sig);
        else
            forward_signal(rt, sig);
    }
    return stop;
}

/* --- watching --- */

static void agent_answer(const char *app, char *out, size_t len, void *ctx)
{
    struct runtime *rt = ctx;
    struct cli pc = *rt->c;
    char reason[200];
    pc.timeout_ms = RUNTIME_AGENT_TIMEOUT_MS;
    /* a draining app that is otherwise ready: HAProxy's "drain" (weight 0,
     * no new connection); one that is not ready at all: "down" */
    int r = probe_check(&pc, app, PROBE_READY, 0, reason, sizeof(reason));
    if (r == 0 && drain_flag_is_set(&pc.paths, app))
        snprintf(out, len, "drain #%s draining\n", app ? app : "every app");
    else if (r == 0)
        snprintf(out, len, "up ready\n");
    else
        snprintf(out, len, "down #%s\n", r == -ENOENT ? "no such app" : reason);
}

/* Once a tick: a lost daemon, a lost log reader, apps all at rest. Returns
 * 1 with *code set when the runtime should exit. */
static int tick(struct runtime *rt, int *code)
{
    if (!rt->daemon && rt->daemon_lost_at) {
        if (request(rt, json_pack("{s:s}", "cmd", "ping"), RUNTIME_AGENT_TIMEOUT_MS) == 0) {
            rt->daemon_lost_at = 0; /* another daemon took over (drover update) */
        } else if (mono_ms() - rt->daemon_lost_at > RUNTIME_DAEMON_GRACE_MS) {
            if (rt->daemon_starts > RUNTIME_MAX_DAEMON_STARTS || start_daemon(rt) < 0) {
                say(rt, "the daemon cannot be started again: exiting");
                *code = 1;
                return 1;
            }
            say(rt, "daemon started again: it re-adopted the apps");
        }
    }
    for (int i = 0; i < 2; i++)
        if (!rt->followers[i])
            rt->followers[i] = start_follower(rt, i);
    if (rt->o.no_auto_exit)
        return 0;
    struct cli lc = *rt->c;
    lc.timeout_ms = RUNTIME_LIST_TIMEOUT_MS;
    json_t *req = json_pack("{s:s}", "cmd", "list"), *reply = NULL;
    if (client_request(&lc, req, 0, &reply) < 0) {
        json_decref(req);
        return 0;
    }
    json_decref(req);
    if (runtime_exit_code(json_object_get(reply, "processes"), code))
        rt->rest_ticks++;
    else
        rt->rest_ticks = 0;
    json_decref(reply);
    return rt->rest_ticks >= RUNTIME_REST_TICKS;
}

/* Serves until a stop signal (returns 0) or the apps' end (their code). */
static int serve(struct runtime *rt)
{
    int64_t next_tick = mono_ms() + RUNTIME_TICK_MS;
    for (;;) {
        int64_t now = mono_ms(), until = next_tick;
        if (rt->stop_at && rt->stop_at < until)
            until = rt->stop_at;
        struct pollfd pfd[2] = {{.fd = rt->sfd, .events = POLLIN},
                                {.fd = rt->agent_fd, .events = POLLIN}};
        int pr = poll(pfd, rt->agent_fd >= 0 ? 2 : 1, (int)MAX(0, until - now));
        if (pr < 0 && errno != EINTR) {
            say(rt, "poll failed: %s", strerror(errno));
            return 1;
        }
        if (pr > 0 && (pfd[0].revents & POLLIN) && read_signals(rt))
            return 0;
        if (pr > 0 && rt->agent_fd >= 0 && (pfd[1].revents & POLLIN))
            (void)agent_serve(rt->agent_fd, agent_answer, rt);
        now = mono_ms();
        if (rt->stop_at && now >= rt->stop_at)
            return 0;
        if (now >= next_tick && !rt->stop_signals) {
            int code = 0;
            if (tick(rt, &code)) {
                say(rt, "every app ended and none will restart: exiting with %d", code);
                return code;
            }
            next_tick = now + RUNTIME_TICK_MS;
        }
    }
}

/* --- the whole run --- */

/* One line on stderr: the apps and their instance counts. */
static void say_started(struct runtime *rt)
{
    struct cli lc = *rt->c;
    json_t *req = json_pack("{s:s, s:b}", "cmd", "list", "brief", 1), *reply = NULL;
    int r = req ? client_request(&lc, req, 0, &reply) : -ENOMEM;
    json_decref(req);
    if (r < 0)
        return;
    char line[512] = "";
    size_t used = 0, i, count = 0;
    const char *last = NULL;
    json_t *p, *procs = json_object_get(reply, "processes");
    json_array_foreach(procs, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name")) ?: "?";
        count++;
        if (i + 1 < json_array_size(procs) &&
            !strcmp(name,
                    json_string_value(json_object_get(json_array_get(procs, i + 1), "name")) ?: ""))
            continue;
        int n =
            snprintf(line + used, sizeof(line) - used, "%s%s x%zu", last ? ", " : "", name, count);
        if (n > 0 && (size_t)n < sizeof(line) - used)
            used += (size_t)n;
        last = name;
        count = 0;
    }
    say(rt, "started %s (`drover ls` lists them)", last ? line : "no app");
    json_decref(reply);
}

static int setup(struct runtime *rt)
{
    sigset_t mask;
    sigemptyset(&mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD};
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        sigaddset(&mask, sigs[i]);
    signal(SIGPIPE, SIG_IGN);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
        (rt->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
        return cli_error("cannot set up signals: %s", strerror(errno));
    /* not PID 1: orphans of the apps' trees still come to us */
    if (getpid() != 1)
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
    int r = paths_ensure(&rt->c->paths);
    if (r < 0)
        return cli_error("cannot prepare %s: %s", rt->c->paths.home, strerror(-r));
    (void)drain_flag_clear_all(&rt->c->paths);
    if (rt->o.json) {
        /* JSON lines only on our output: the daemon's own log goes to its file */
        char path[PATH_MAX];
        path_join(path, rt->c->paths.home, "daemon.log");
        rt->daemon_log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (rt->daemon_log_fd < 0)
            return cli_error("cannot open %s: %s", path, strerror(errno));
    }
    if (rt->o.agent) {
        rt->agent_fd = agent_listen(rt->o.agent);
        if (rt->agent_fd < 0)
            return cli_error("cannot serve the agent on %s: %s", rt->o.agent,
                             strerror(-rt->agent_fd));
    }
    return 0;
}

/* Closes what setup opened. */
static void release(struct runtime *rt)
{
    int *fds[] = {&rt->sfd, &rt->agent_fd, &rt->daemon_log_fd};
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

static int run(struct cli *c, int argc, char **argv, const struct runtime_opts *o)
{
    struct runtime rt = {.c = c, .o = *o, .sfd = -1, .agent_fd = -1, .daemon_log_fd = -1};
    int code = setup(&rt);
    if (code == 0 && start_daemon(&rt) < 0)
        code = 1;
    if (code) {
        release(&rt);
        return code;
    }
    for (int i = 0; i < 2; i++)
        rt.followers[i] = start_follower(&rt, i);
    struct cli sc = *c;
    sc.verb = "start";
    sc.argc = argc;
    sc.argv = argv;
    sc.silent = 1; /* our stdout is the apps' */
    sc.json = 0;
    code = cmd_start_any(&sc);
    /* a stop signal that came while the apps started (blocked until now) */
    int stop_now = read_signals(&rt);
    int stop_apps = 1;
    if (rt.stop_signals) {
        code = stop_now ? 0 : serve(&rt);
    } else if (code != 0) {
        say(&rt, "the apps did not start: exiting with %d", code);
    } else {
        say_started(&rt);
        code = serve(&rt);
        stop_apps = rt.stop_signals > 0;
    }
    finish(&rt, stop_apps);
    release(&rt);
    if (stop_apps && code == 0)
        say(&rt, "stopped");
    return code;
}

static int usage(FILE *to)
{
    fputs("usage: drover-runtime [--raw|--json|--format] [--no-auto-exit]\n"
          "                      [--shutdown-delay <duration>] [--agent [addr:]port]\n"
          "                      [--http [addr:]port]\n"
          "                      <ecosystem file | script> [start options] [-- args]\n"
          "drover in the foreground, a container's PID 1 (docs/containers.md):\n"
          "  apps' logs on stdout/stderr: raw (default), --json (one object a line with app\n"
          "  name and instance), --format (key=value lines)\n"
          "  SIGTERM/SIGINT: not ready at once (probes fail, the agent says drain), then\n"
          "  after --shutdown-delay (DROVER_SHUTDOWN_DELAY, default 0) every app is\n"
          "  stopped, exit 0; a second one skips the delay. SIGHUP, SIGUSR1, SIGUSR2 go\n"
          "  to every app\n"
          "  exits by itself when every app ended and none will restart: with the app's\n"
          "  code (128+signal), non-zero when one errored; --no-auto-exit: never\n"
          "  --agent: HAProxy agent-check server (`drover export haproxy --agent-port`)\n"
          "  --http: the daemon serves /livez, /readyz, /readyz/<app> and /metrics there\n"
          "  (DROVER_HTTP; a bare port is 127.0.0.1's, 0.0.0.0:9615 for a kubelet)\n",
          to);
    return 2;
}

int runtime_main(struct cli *c)
{
    for (int i = 0; i < c->argc && strcmp(c->argv[i], "--"); i++) {
        if (!strcmp(c->argv[i], "-h") || !strcmp(c->argv[i], "--help"))
            return usage(stdout), 0;
        if (!strcmp(c->argv[i], "-v") || !strcmp(c->argv[i], "--version"))
            return cmd_version(c);
    }
    return runtime_start_no_daemon(c);
}

int runtime_no_daemon_wanted(const struct cli *c)
{
    for (int i = 0; i < c->argc && strcmp(c->argv[i], "--"); i++)
        if (!strcmp(c->argv[i], "--no-daemon"))
            return 1;
    return 0;
}

int runtime_start_no_daemon(struct cli *c)
{
    struct runtime_opts o = {0};
    char **rest = calloc((size_t)c->argc + 1, sizeof(char *));
    if (!rest)
        return cli_error("out of memory");
    int n = split_args(c, &o, rest);
    int code;
    if (n == -2)
        code = 2;
    else if (n == 0 && access("ecosystem.config.js", F_OK) != 0)
        code = usage(stderr);
    else
        code = run(c, n, rest, &o);
    free(rest);
    return code;
}
