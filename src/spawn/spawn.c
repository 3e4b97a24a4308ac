/* spawn.c - fork, set up, exec; report failures through a CLOEXEC pipe. */
#include "spawn/spawn.h"
#include "base/fdutil.h"
#include "base/macros.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum step {
    STEP_SETSID = 1,
    STEP_CGROUP,
    STEP_FDS,
    STEP_CHDIR,
    STEP_SETGROUPS,
    STEP_SETGID,
    STEP_SETUID,
    STEP_EXEC,
};

static const char *step_name(int s)
{
    switch (s) {
    case STEP_SETSID:
        return "setsid";
    case STEP_CGROUP:
        return "cgroup";
    case STEP_FDS:
        return "fds";
    case STEP_CHDIR:
        return "chdir";
    case STEP_SETGROUPS:
        return "setgroups";
    case STEP_SETGID:
        return "setgid";
    case STEP_SETUID:
        return "setuid";
    case STEP_EXEC:
        return "exec";
    default:
        return "fork";
    }
}

int spawn_exec_exit_code(int err)
{
    if (err < 0)
        err = -err;
    return (err == ENOENT || err == ENOTDIR) ? 127 : 126;
}

NORETURN static void child_fail(int errfd, int step)
{
    int32_t msg[2] = {step, errno ? errno : EIO};
    (void)!write(errfd, msg, sizeof(msg));
    _exit(spawn_exec_exit_code(msg[1]));
}

static const char *env_lookup(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++)
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
            return *envp + n + 1;
    return NULL;
}

/* execve with a PATH search over the child's own environment. Returns
 * only on failure, with errno set (EACCES wins over ENOENT, like execvp). */
static void exec_search(const char *file, char *const *argv, char *const *envp)
{
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        return;
    }
    const char *path = env_lookup(envp, "PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int saw_eacces = 0;
    size_t flen = strlen(file);
    const char *p = path;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
        char buf[4096];
        if (dlen + flen + 2 <= sizeof(buf)) {
            if (dlen == 0) {
                memcpy(buf, file, flen + 1);
            } else {
                memcpy(buf, p, dlen);
                buf[dlen] = '/';
                memcpy(buf + dlen + 1, file, flen + 1);
            }
            execve(buf, argv, envp);
            if (errno == EACCES)
                saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR)
                return;
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
}

/* Puts every mapped fd in place. Sources are first moved above every target
 * so a later dup2 cannot overwrite a source still needed. */
static int place_fds(const struct spawn_fd *fds, size_t n)
{
    int high = 3;
    for (size_t i = 0; i < n; i++)
        if (fds[i].to >= high)
            high = fds[i].to + 1;
    int tmp[64];
    if (n > ARRAY_SIZE(tmp)) {
        errno = E2BIG;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (fds[i].from < 0) {
            int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (nul < 0)
                return -1;
            tmp[i] = fcntl(nul, F_DUPFD_CLOEXEC, high);
            close(nul);
        } else {
            tmp[i] = fcntl(fds[i].from, F_DUPFD_CLOEXEC, high);
        }
        if (tmp[i] < 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (dup2(tmp[i], fds[i].to) < 0)
            return -1;
        /* dup2 clears FD_CLOEXEC on the target; keep it explicit anyway */
        if (fcntl(fds[i].to, F_SETFD, 0) < 0)
            return -1;
    }
    int keep[64];
    for (size_t i = 0; i < n; i++)
        keep[i] = fds[i].to;
    close_fds_from(0, keep, n);
    return 0;
}

NORETURN static void child_main(const struct spawn_opts *o, int errfd, int in_cgroup)
{
    /* default dispositions and an empty mask: the supervisor blocks signals
     * for its signalfd and ignores SIGPIPE, and whoever started us may have
     * ignored anything; the app must inherit none of it. The raw syscall
     * also reaches the real-time signals libc keeps for itself (32-34),
     * which sigaction() refuses. */
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        unsigned long mask;
    } dfl = {0};
    for (int s = 1; s <= 64; s++)
        if (s != SIGKILL && s != SIGSTOP)
            syscall(SYS_rt_sigaction, s, &dfl, NULL, sizeof(dfl.mask));
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (o->new_session && setsid() < 0)
        child_fail(errfd, STEP_SETSID);
    if (o->into_cgroup && !in_cgroup) {
        int procs = openat(o->cgroup_dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (procs < 0 || write(procs, "0", 1) != 1)
            child_fail(errfd, STEP_CGROUP);
        close(procs);
    }

    /* the error pipe must survive place_fds: move it out of the way and
     * keep it listed so close_fds_from leaves it open (it is CLOEXEC) */
    struct spawn_fd map[65];
    if (o->n_fds >= ARRAY_SIZE(map)) {
        errno = E2BIG;
        child_fail(errfd, STEP_FDS);
    }
    int high = 3;
    for (size_t i = 0; i < o->n_fds; i++)
        if (o->fds[i].to >= high)
            high = o->fds[i].to + 1;
    int err2 = fcntl(errfd, F_DUPFD_CLOEXEC, high + 64);
    if (err2 < 0)
        child_fail(errfd, STEP_FDS);
    errfd = err2;
    memcpy(map, o->fds, o->n_fds * sizeof(map[0]));
    map[o->n_fds].from = errfd;
    map[o->n_fds].to = errfd;
    if (place_fds(map, o->n_fds + 1) < 0)
        child_fail(errfd, STEP_FDS);
    fcntl(errfd, F_SETFD, FD_CLOEXEC);

    if (o->listen_pid_env) {
        /* async-signal-safe formatting of our pid */
        char digits[16];
        int n = 0;
        for (long v = (long)getpid(); v > 0 && n < 15; v /= 10)
            digits[n++] = (char)('0' + v % 10);
        char *p = o->listen_pid_env;
        memcpy(p, "LISTEN_PID=", 11);
        p += 11;
        while (n > 0)
            *p++ = digits[--n];
        *p = '\0';
    }
    if (o->nofile_soft) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
            rl.rlim_cur = o->nofile_soft < rl.rlim_max ? o->nofile_soft : rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    if (o->cwd && chdir(o->cwd) < 0)
        child_fail(errfd, STEP_CHDIR);
    if (o->set_ids) {
        if (o->user) {
            if (initgroups(o->user, o->gid) < 0)
                child_fail(errfd, STEP_SETGROUPS);
        } else if (setgroups(0, NULL) < 0) {
            child_fail(errfd, STEP_SETGROUPS);
        }
        if (setresgid(o->gid, o->gid, o->gid) < 0)
            child_fail(errfd, STEP_SETGID);
        if (setresuid(o->uid, o->uid, o->uid) < 0)
            child_fail(errfd, STEP_SETUID);
    }
    exec_search(o->file, o->argv, o->envp);
    child_fail(errfd, STEP_EXEC);
}

/* The clone3(2) arguments this file uses (struct clone_args, kernel ABI). */
struct clone3_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};
#define DROVER_CLONE_INTO_CGROUP 0x200000000ULL

/* fork(), or clone3() into the cgroup. *in_cgroup tells which happened. */
static pid_t fork_child(const struct spawn_opts *o, int *in_cgroup)
{
    *in_cgroup = 0;
    if (o->into_cgroup) {
        struct clone3_args args;
        memset(&args, 0, sizeof(args));
        args.flags = DROVER_CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t)o->cgroup_dir_fd;
        long r = syscall(SYS_clone3, &args, sizeof(args));
        if (r >= 0) {
            *in_cgroup = 1;
            return (pid_t)r;
        }
        /* ENOSYS (old kernel), E2BIG (older ABI), EOPNOTSUPP: migrate instead */
    }
    return fork();
}

int spawn_process(const struct spawn_opts *o, pid_t *pid, const char **failed_step)
{
    int pipefd[2];
    if (failed_step)
        *failed_step = "fork";
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return neg_errno();
    int in_cgroup;
    pid_t child = fork_child(o, &in_cgroup);
    if (child < 0) {
        int r = neg_errno();
        close(pipefd[0]);
        close(pipefd[1]);
        return r;
    }
    if (child == 0) {
        close(pipefd[0]);
        child_main(o, pipefd[1], in_cgroup);
    }
    close(pipefd[1]);
    int32_t msg[2];
    ssize_t n;
    do {
        n = read(pipefd[0], msg, sizeof(msg));
    } while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n == (ssize_t)sizeof(msg)) {
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
        if (failed_step)
            *failed_step = step_name(msg[0]);
        return -msg[1];
    }
    *pid = child;
    return 0;
}
