/* cmd_startup.c - starting drover at boot, PM2's `startup` and `unstartup`:
 *
 *   drover startup [systemd] [-u user] [--hp home] [--service-name name] [--print]
 *   drover unstartup [systemd] [-u user] [--service-name name]
 *
 * startup writes a systemd unit (/etc/systemd/system/<name>.service, name
 * drover-<user> by default) whose ExecStart runs the daemon in the
 * foreground with --resurrect: at boot it starts the apps saved by
 * `drover save`. The unit is Type=notify (the daemon sends READY=1 once it
 * serves and the resurrected apps settled), KillMode=mixed (systemctl stop
 * sends SIGTERM to the daemon alone, which stops every app with its own
 * kill_signal and kill_timeout; whatever is left when TimeoutStopSec
 * expires is SIGKILLed), Restart=on-failure, Delegate=yes (the daemon
 * creates a cgroup per instance). TimeoutStopSec is above the largest
 * kill_timeout in the dump. With --print the unit is only printed.
 *
 * systemctl daemon-reload and enable are run only when systemd runs here
 * (/run/systemd/system exists); otherwise the commands are printed. Only
 * systemd is supported: the other init systems PM2 knows are not.
 * DROVER_SYSTEMD_UNIT_DIR overrides the unit directory (packaging, tests);
 * systemctl is then never run. */
#include "base/fdutil.h"
#include "base/strbuf.h"
#include "cli/cli.h"
#include "cli/start_args.h"
#include "config/app_config.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_UNIT_DIR "/etc/systemd/system"
#define KILL_GRACE_S 5   /* the daemon's wait beyond kill_timeout (cmd_daemon.c) */
#define STOP_MARGIN_S 10 /* slack for supervisors to report and exit */

extern char **environ;

struct startup_opts {
    const char *user, *home, *service, *platform;
    int print;
    char user_buf[256], home_buf[PATH_MAX], service_buf[300], drover_home[PATH_MAX];
    char unit_dir[PATH_MAX], unit_path[PATH_MAX + 320];
};

static int parse_opts(struct cli *c, struct startup_opts *o, int allow_print)
{
    memset(o, 0, sizeof(*o));
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        const char **slot = NULL;
        if (!strcmp(a, "-u") || !strcmp(a, "--user"))
            slot = &o->user;
        else if (!strcmp(a, "--hp"))
            slot = &o->home;
        else if (!strcmp(a, "--service-name"))
            slot = &o->service;
        else if (allow_print && !strcmp(a, "--print"))
            o->print = 1;
        else if (a[0] != '-' && !o->platform)
            o->platform = a;
        else
            return cli_usage("unexpected argument '%s' for %s", a, c->verb);
        if (slot) {
            if (i + 1 >= c->argc)
                return cli_usage("%s needs a value", a);
            *slot = c->argv[++i];
        }
    }
    if (o->platform && strcmp(o->platform, "systemd"))
        return cli_error("only systemd is supported (got '%s')", o->platform);

    uid_t self = geteuid();
    struct passwd *pw = o->user ? getpwnam(o->user) : getpwuid(self);
    if (!pw)
        return cli_error("unknown user '%s'", o->user ? o->user : "(current)");
    snprintf(o->user_buf, sizeof(o->user_buf), "%s", pw->pw_name);
    snprintf(o->home_buf, sizeof(o->home_buf), "%s", o->home ? o->home : pw->pw_dir);
    o->user = o->user_buf;
    o->home = o->home_buf;
    /* the current user with their own home keeps whatever DROVER_HOME says */
    if (pw->pw_uid == self && !strcmp(o->home_buf, pw->pw_dir))
        snprintf(o->drover_home, sizeof(o->drover_home), "%s", c->paths.home);
    else
        snprintf(o->drover_home, sizeof(o->drover_home), "%s/.local/state/drover", o->home);
    if (o->service)
        snprintf(o->service_buf, sizeof(o->service_buf), "%s", o->service);
    else
        snprintf(o->service_buf, sizeof(o->service_buf), "drover-%s", o->user);
    o->service = o->service_buf;
    if (!*o->service || strchr(o->service, '/'))
        return cli_error("invalid service name '%s'", o->service);
    const char *dir = getenv("DROVER_SYSTEMD_UNIT_DIR");
    snprintf(o->unit_dir, sizeof(o->unit_dir), "%s", dir && *dir ? dir : DEFAULT_UNIT_DIR);
    snprintf(o->unit_path, sizeof(o->unit_path), "%s/%s.service", o->unit_dir, o->service);
    return 0;
}

/* The largest kill_timeout (ms) among the dumped apps; the default when
 * there is no dump. */
static int64_t dump_max_kill_timeout(const char *drover_home)
{
    char path[PATH_MAX + 16], *text = NULL;
    snprintf(path, sizeof(path), "%s/dump.json", drover_home);
    int64_t max = app_config_defaults()->kill_timeout_ms;
    if (read_file_at(AT_FDCWD, path, 256u << 20, &text, NULL) < 0)
        return max;
    json_t *root = json_loads(text, 0, NULL);
    free(text);
    size_t i;
    json_t *app;
    json_array_foreach(json_object_get(root, "apps"), i, app)
    {
        /* saved normalized: an integer, or the default when absent */
        json_t *k = json_object_get(json_object_get(app, "config"), "kill_timeout");
        if (json_is_integer(k) && json_integer_value(k) > max)
            max = json_integer_value(k);
    }
    json_decref(root);
    return max;
}

/* Appends s as one quoted systemd value: specifiers (%) always escaped,
 * variable references ($) too in command lines. */
static void unit_quote(struct strbuf *sb, const char *s, int exec)
{
    strbuf_putc(sb, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            strbuf_putc(sb, '\\');
        if (*s == '%' || (exec && *s == '$'))
            strbuf_putc(sb, *s);
        strbuf_putc(sb, *s);
    }
    strbuf_putc(sb, '"');
}

static int build_unit(const struct cli *c, const struct startup_opts *o, struct strbuf *sb)
{
    char droverd[PATH_MAX + 16], real[PATH_MAX];
    snprintf(droverd, sizeof(droverd), "%s/droverd", c->exe_dir);
    if (!realpath(droverd, real))
        return cli_error("cannot find %s: %s", droverd, strerror(errno));
    const char *path = getenv("PATH");
    int64_t kill_ms = dump_max_kill_timeout(o->drover_home);
    int64_t stop_s = (kill_ms + 999) / 1000 + KILL_GRACE_S + STOP_MARGIN_S;
    strbuf_printf(sb,
                  "# Written by `drover startup`: runs drover's daemon for %s at boot and\n"
                  "# starts the apps saved with `drover save` (%s/dump.json).\n"
                  "[Unit]\n"
                  "Description=drover process manager (%s)\n"
                  "After=network.target\n"
                  "\n"
                  "[Service]\n"
                  "Type=notify\n"
                  "NotifyAccess=main\n"
                  "User=%s\n",
                  o->user, o->drover_home, o->user, o->user);
    strbuf_puts(sb, "Environment=");
    char kv[PATH_MAX + 64];
    snprintf(kv, sizeof(kv), "DROVER_HOME=%s", o->drover_home);
    unit_quote(sb, kv, 0);
    strbuf_puts(sb, "\nEnvironment=");
    snprintf(kv, sizeof(kv), "PATH=%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    unit_quote(sb, kv, 0);
    strbuf_puts(sb, "\nExecStart=");
    unit_quote(sb, real, 1);
    strbuf_printf(sb,
                  " --foreground --resurrect\n"
                  "KillMode=mixed\n"
                  "Restart=on-failure\n"
                  "RestartSec=1\n"
                  "# above the largest kill_timeout in the dump (%lld ms), plus margin\n"
                  "TimeoutStopSec=%lld\n"
                  "Delegate=yes\n"
                  "LimitNOFILE=infinity\n"
                  "\n"
                  "[Install]\n"
                  "WantedBy=multi-user.target\n",
                  (long long)kill_ms, (long long)stop_s);
    return 0;
}

/* Runs argv (no shell) with our stdio; returns its exit status or -1. */
static int run_command(char *const argv[])
{
    char exe[PATH_MAX];
    if (start_search_path(argv[0], exe, sizeof(exe)) < 0)
        return -1;
    struct spawn_fd fds[] = {{0, 0}, {1, 1}, {2, 2}};
    struct spawn_opts so = {.file = exe, .argv = argv, .envp = environ, .fds = fds, .n_fds = 3};
    pid_t pid;
    if (spawn_process(&so, &pid, NULL) < 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* True when systemctl may be used: the default unit directory, systemd
 * running, systemctl installed. */
static int systemd_usable(const struct startup_opts *o)
{
    char exe[PATH_MAX];
    return !strcmp(o->unit_dir, DEFAULT_UNIT_DIR) && access("/run/systemd/system", F_OK) == 0 &&
           start_search_path("systemctl", exe, sizeof(exe)) == 0;
}

int cmd_startup(struct cli *c)
{
    struct startup_opts o;
    int r = parse_opts(c, &o, 1);
    if (r)
        return r;
    struct strbuf unit = STRBUF_INIT;
    if (build_unit(c, &o, &unit) != 0) {
        strbuf_free(&unit);
        return 1;
    }
    if (o.print) {
        fwrite(unit.buf, 1, unit.len, stdout);
        strbuf_free(&unit);
        return 0;
    }
    if (!strcmp(o.unit_dir, DEFAULT_UNIT_DIR) && geteuid() != 0) {
        strbuf_free(&unit);
        cli_error("writing %s needs root; run:", o.unit_path);
        fprintf(stderr, "  sudo env PATH=\"$PATH\" %s/drover startup systemd -u %s --hp %s\n",
                c->exe_dir, o.user, o.home);
        return 1;
    }
    r = write_file_atomic(o.unit_path, unit.buf, unit.len, 0644);
    strbuf_free(&unit);
    if (r < 0)
        return cli_error("cannot write %s: %s", o.unit_path, strerror(-r));
    cli_say(c, "wrote %s", o.unit_path);
    char unit_name[320];
    snprintf(unit_name, sizeof(unit_name), "%s.service", o.service);
    if (systemd_usable(&o)) {
        char *reload[] = {"systemctl", "daemon-reload", NULL};
        char *enable[] = {"systemctl", "enable", unit_name, NULL};
        if (run_command(reload) != 0 || run_command(enable) != 0)
            return cli_error("systemctl failed: the unit is written but not enabled");
        cli_say(c, "enabled %s: at boot it starts the apps saved with `drover save`", unit_name);
    } else {
        cli_say(c,
                "systemd is not running here (or this is not its unit directory); "
                "when it is, run: systemctl daemon-reload && systemctl enable %s",
                unit_name);
    }
    cli_say(c, "save the current process list with: drover save");
    return 0;
}

int cmd_unstartup(struct cli *c)
{
    struct startup_opts o;
    int r = parse_opts(c, &o, 0);
    if (r)
        return r;
    char unit_name[320];
    snprintf(unit_name, sizeof(unit_name), "%s.service", o.service);
    int systemd = systemd_usable(&o);
    if (systemd) {
        char *disable[] = {"systemctl", "disable", unit_name, NULL};
        run_command(disable);
    }
    if (unlink(o.unit_path) < 0)
        return cli_error("cannot remove %s: %s", o.unit_path, strerror(errno));
    cli_say(c, "removed %s", o.unit_path);
    if (systemd) {
        char *reload[] = {"systemctl", "daemon-reload", NULL};
        run_command(reload);
    }
    return 0;
}
