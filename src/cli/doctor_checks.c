/* doctor_checks.c - the probes of `drover doctor` (doctor.h). */
#include "base/cgroupfs.h"
#include "base/cpus.h"
#include "base/fdutil.h"
#include "base/pidfd.h"
#include "cli/capture.h"
#include "cli/daemon_peek.h"
#include "cli/doctor.h"
#include "cli/helpers.h"
#include "cli/start_args.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* below this soft limit apps that hold many connections hit EMFILE */
#define FD_SOFT_ADVISED 4096
#define INOTIFY_WATCHES_ADVISED 65536
#define PEEK_TIMEOUT_MS 1000

static void set(struct doctor_row *row, const char *check, enum doctor_level level,
                const char *hint, const char *fmt, ...) PRINTF_LIKE(5, 6);

static void set(struct doctor_row *row, const char *check, enum doctor_level level,
                const char *hint, const char *fmt, ...)
{
    row->check = check;
    row->level = level;
    row->hint = level == DOCTOR_OK ? NULL : hint;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->detail, sizeof(row->detail), fmt, ap);
    va_end(ap);
}

/* The first line of a small /proc or /sys file, without its newline. */
static int read_line(const char *path, char *out, size_t len)
{
    char *text = NULL;
    int r = read_file_at(AT_FDCWD, path, 4096, &text, NULL);
    if (r < 0)
        return r;
    text[strcspn(text, "\n")] = '\0';
    snprintf(out, len, "%s", text);
    free(text);
    return 0;
}

int doctor_elf_is_static(const char *path)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return neg_errno();
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
        memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 512)
        return -ENOEXEC;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        off_t at = (off_t)eh.e_phoff + (off_t)i * (off_t)sizeof(ph);
        if (pread(fd, &ph, sizeof(ph), at) != (ssize_t)sizeof(ph))
            return -ENOEXEC;
        if (ph.p_type == PT_INTERP)
            return 0;
    }
    return 1;
}

static void check_kernel(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    struct utsname u;
    if (uname(&u) < 0)
        set(row, "kernel", DOCTOR_OK, NULL, "unknown");
    else
        set(row, "kernel", DOCTOR_OK, NULL, "%s %s %s", u.sysname, u.release, u.machine);
}

/* A helper that is there (ok) or not (missing_level, with hint). */
static void check_helper_file(const struct cli *c, struct doctor_row *row, enum helper h,
                              enum doctor_level missing_level, const char *hint)
{
    char path[PATH_MAX];
    if (helper_path(c, h, path, sizeof(path)) == 0)
        set(row, helper_name(h), DOCTOR_OK, NULL, "%s", path);
    else
        set(row, helper_name(h), missing_level, hint, "not found: %s", path);
}

static void check_daemon_binary(const struct cli *c, struct doctor_row *row)
{
    check_helper_file(c, row, HELPER_DAEMON, DOCTOR_MISSING,
                      "reinstall drover (a build tree: ninja -C <build dir>); drover runs the "
                      "droverd next to it");
}

static void check_sup(const struct cli *c, struct doctor_row *row)
{
    char path[PATH_MAX];
    if (helper_path(c, HELPER_SUP, path, sizeof(path)) < 0) {
        set(row, "drover-sup", DOCTOR_MISSING,
            "reinstall drover: droverd starts the drover-sup next to its own file", "not found: %s",
            path);
        return;
    }
    int st = doctor_elf_is_static(path);
    if (st == 1)
        set(row, "drover-sup", DOCTOR_OK, NULL, "%s (static: ~50 KB of memory per instance)", path);
    else
        set(row, "drover-sup", DOCTOR_WARN,
            "apt-get install musl-tools, then rebuild: a static musl supervisor takes ~50 KB per "
            "instance",
            "%s (system libc: ~1.4 MB of memory per instance)", path);
}

static void check_monit(const struct cli *c, struct doctor_row *row)
{
    check_helper_file(c, row, HELPER_MONIT, DOCTOR_WARN,
                      "reinstall drover: `drover monit` runs the drover-monit next to droverd");
}

static void check_gzip(const struct cli *c, struct doctor_row *row)
{
    check_helper_file(c, row, HELPER_GZIP, DOCTOR_WARN,
                      "reinstall drover: without it rotated logs stay uncompressed (option "
                      "compress)");
}

/* Runs `true` with LD_PRELOAD=lib: the dynamic loader says on stderr when
 * it cannot load the library (wrong architecture, unreadable, noexec). */
static int preload_loads(const char *lib, char *err, size_t errlen)
{
    char env_preload[PATH_MAX + 16], env_path[PATH_MAX + 24];
    const char *path = getenv("PATH");
    snprintf(env_preload, sizeof(env_preload), "LD_PRELOAD=%s", lib);
    /* the system's dirs last: a PATH of drover's bin dir alone has no `true` */
    snprintf(env_path, sizeof(env_path), "PATH=%s%s/usr/bin:/bin", path ? path : "",
             path && *path ? ":" : "");
    char *envp[] = {env_preload, env_path, NULL};
    char *argv[] = {"true", NULL};
    int r = capture_run("true", argv, envp, err, errlen);
    if (r < 0)
        return r;
    err[strcspn(err, "\n")] = '\0';
    return err[0] ? -ENOEXEC : 0;
}

static void check_preload(const struct cli *c, struct doctor_row *row)
{
    char path[PATH_MAX], err[DOCTOR_DETAIL_MAX / 2];
    const char *name = "preload shim";
    if (helper_path(c, HELPER_PRELOAD, path, sizeof(path)) < 0) {
        set(row, name, DOCTOR_WARN,
            "reinstall drover; meanwhile give cluster apps their sockets with listen "
            "(LISTEN_FDS) or PORT",
            "not found: %s", path);
        return;
    }
    int r = preload_loads(path, err, sizeof(err));
    if (r == 0)
        set(row, name, DOCTOR_OK, NULL, "%s loads into programs (apps' bind() is shared)", path);
    else
        set(row, name, DOCTOR_WARN,
            "the dynamic loader refuses it: give cluster apps their sockets with listen "
            "(LISTEN_FDS) instead",
            "%s: %s", path, r == -ENOEXEC ? err : strerror(-r));
}

static void check_daemon(const struct cli *c, struct doctor_row *row)
{
    json_t *reply;
    json_t *req = json_pack("{s:s}", "cmd", "ping");
    int r = daemon_peek(c, req, PEEK_TIMEOUT_MS, &reply);
    json_decref(req);
    if (r == -ENOTCONN) {
        set(row, "daemon", DOCTOR_OK, NULL, "not running (the first command starts it), home %s",
            c->paths.home);
        return;
    }
    if (r < 0) {
        set(row, "daemon", DOCTOR_WARN,
            "see <home>/daemon.log; a stopped daemon (SIGSTOP) resumes with kill -CONT",
            "no answer on %s: %s", c->paths.daemon_sock, strerror(-r));
        return;
    }
    const char *version = json_string_value(json_object_get(reply, "version"));
    long long pid = (long long)json_integer_value(json_object_get(reply, "pid"));
    if (version && strcmp(version, DROVER_VERSION) != 0)
        set(row, "daemon", DOCTOR_WARN,
            "run `drover update` to replace the daemon with this version (apps keep running)",
            "pid %lld runs drover %s, this CLI is %s", pid, version, DROVER_VERSION);
    else
        set(row, "daemon", DOCTOR_OK, NULL, "pid %lld, socket %s", pid, c->paths.daemon_sock);
    json_decref(reply);
}

/* What the daemon does at start: a directory under its own cgroup with a
 * cgroup.procs it may write (it starts from this shell's cgroup). */
static void check_cgroup(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    const char *name = "cgroup v2";
    const char *hint = "drover then finds app trees through /proc (works; a cgroup is faster and "
                       "catches every process): run it from a delegated cgroup, e.g. the "
                       "Delegate=yes unit `drover startup` writes";
    char mnt[1024], self[2048], probe[4096], procs[4200];
    if (getenv("DROVER_NO_CGROUP")) {
        set(row, name, DOCTOR_WARN, "unset DROVER_NO_CGROUP", "off: DROVER_NO_CGROUP is set");
        return;
    }
    if (cgroupfs_mount(mnt, sizeof(mnt)) < 0 || cgroupfs_self_path(self, sizeof(self)) < 0) {
        set(row, name, DOCTOR_WARN, hint, "no cgroup v2 filesystem mounted");
        return;
    }
    snprintf(probe, sizeof(probe), "%s%s/drover-doctor.%d", mnt, strcmp(self, "/") ? self : "",
             (int)getpid());
    if (mkdir(probe, 0755) < 0) {
        int e = errno;
        set(row, name, DOCTOR_WARN, hint, "cannot create cgroups under %s%s: %s", mnt, self,
            strerror(e));
        return;
    }
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", probe);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    int e = errno;
    if (fd >= 0)
        close(fd);
    rmdir(probe);
    if (fd < 0)
        set(row, name, DOCTOR_WARN, hint, "cannot move processes into cgroups under %s%s: %s", mnt,
            self, strerror(e));
    else
        set(row, name, DOCTOR_OK, NULL, "delegated: apps get a cgroup each under %s%s", mnt, self);
}

static void check_pidfd(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    int fd = pidfd_open_cloexec(getpid());
    if (fd >= 0) {
        close(fd);
        set(row, "pidfd", DOCTOR_OK, NULL, "signals go through pidfds (never to a recycled pid)");
    } else {
        set(row, "pidfd", DOCTOR_WARN,
            "upgrade to Linux 5.3 or later: without pidfds a signal goes by pid, which a "
            "recycled pid could receive",
            "pidfd_open: %s", strerror(-fd));
    }
}

static void check_migrate(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    char v[64];
    const char *name = "tcp_migrate_req";
    if (read_line("/proc/sys/net/ipv4/tcp_migrate_req", v, sizeof(v)) < 0)
        set(row, name, DOCTOR_WARN,
            "needs Linux 5.14 or later: until then prefer balancing shared (one socket)",
            "not supported by this kernel: connections queued on a closed slots socket are reset");
    else if (strcmp(v, "1") != 0 && geteuid() == 0)
        set(row, name, DOCTOR_OK, NULL,
            "%s, but a root daemon turns migration on for its slots, sticky and least_conn "
            "groups (a closed slot's queue moves to the others)",
            v);
    else if (strcmp(v, "1") != 0)
        set(row, name, DOCTOR_WARN,
            "sysctl -w net.ipv4.tcp_migrate_req=1 (and a line in /etc/sysctl.d/): they then move "
            "to the other slots",
            "%s: with balancing slots or sticky, connections queued on a slot's socket are reset "
            "when it closes (scale down, stop)",
            v);
    else
        set(row, name, DOCTOR_OK, NULL, "1: a closed slots socket hands its queue to the others");
}

static void check_fd_limit(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        set(row, "open files", DOCTOR_WARN, NULL, "unknown");
        return;
    }
    char hard[32];
    if (rl.rlim_max == RLIM_INFINITY)
        snprintf(hard, sizeof(hard), "unlimited");
    else
        snprintf(hard, sizeof(hard), "%llu", (unsigned long long)rl.rlim_max);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < FD_SOFT_ADVISED)
        set(row, "open files", DOCTOR_WARN,
            "apps inherit the soft limit of the shell that starts the daemon: `ulimit -n 65536` "
            "(at most the hard limit) before the first drover command, or LimitNOFILE= in its "
            "unit (`drover startup` sets it)",
            "soft limit %llu, hard %s: an app holding many connections may hit EMFILE",
            (unsigned long long)rl.rlim_cur, hard);
    else
        set(row, "open files", DOCTOR_OK, NULL, "soft limit %llu, hard %s",
            (unsigned long long)rl.rlim_cur, hard);
}

static void check_cpus(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    set(row, "CPUs", DOCTOR_OK, NULL, "%d usable (of %ld online): -i max starts %d instances",
        cpus_usable(), online, cpus_usable());
}

static void check_ports(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    char v[64];
    if (geteuid() == 0)
        set(row, "ports", DOCTOR_OK, NULL, "root: any port, apps may run as another user");
    else if (read_line("/proc/sys/net/ipv4/ip_unprivileged_port_start", v, sizeof(v)) == 0 &&
             strcmp(v, "0") != 0)
        set(row, "ports", DOCTOR_OK, NULL,
            "ports below %s need a daemon running as root (`drover startup` as root, apps "
            "with user)",
            v);
    else
        set(row, "ports", DOCTOR_OK, NULL, "any port");
}

static void check_inotify(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    char v[64];
    long long n = read_line("/proc/sys/fs/inotify/max_user_watches", v, sizeof(v)) == 0
                      ? strtoll(v, NULL, 10)
                      : 0;
    if (n >= INOTIFY_WATCHES_ADVISED)
        set(row, "inotify", DOCTOR_OK, NULL, "%lld watches per user (option watch)", n);
    else
        set(row, "inotify", DOCTOR_WARN,
            "sysctl -w fs.inotify.max_user_watches=524288 (and a line in /etc/sysctl.d/)",
            "%lld watches per user: watch on a large tree may miss changes", n);
}

static void check_node(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    char path[PATH_MAX];
    if (start_search_path("node", path, sizeof(path)) == 0)
        set(row, "node", DOCTOR_OK, NULL, "%s (node apps, ecosystem.config.js)", path);
    else
        set(row, "node", DOCTOR_WARN, "apt-get install nodejs",
            "not in PATH: node apps and ecosystem.config.js files need it (JSON and YAML do not)");
}

static void check_systemd(const struct cli *c, struct doctor_row *row)
{
    (void)c;
    if (access("/run/systemd/system", F_OK) == 0)
        set(row, "systemd", DOCTOR_OK, NULL, "running: `drover startup` enables a boot unit");
    else
        set(row, "systemd", DOCTOR_WARN,
            "in a container, run drover in the foreground (`drover start --no-daemon`) as its "
            "main process",
            "not running here: `drover startup` writes a unit but cannot enable it");
}

size_t doctor_run(const struct cli *c, struct doctor_row *rows)
{
    static void (*const checks[])(const struct cli *, struct doctor_row *) = {
        check_kernel, check_daemon_binary, check_sup,   check_gzip,    check_preload,  check_monit,
        check_daemon, check_cgroup,        check_pidfd, check_migrate, check_fd_limit, check_cpus,
        check_ports,  check_inotify,       check_node,  check_systemd,
    };
    _Static_assert(ARRAY_SIZE(checks) <= DOCTOR_MAX_ROWS, "room for every row");
    for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
        memset(&rows[i], 0, sizeof(rows[i]));
        checks[i](c, &rows[i]);
    }
    return ARRAY_SIZE(checks);
}
