/* spawn.h - starting a child process with clean hygiene.
 *
 * The child gets exactly the fds listed in the map (everything else is
 * closed), default signal dispositions and an empty signal mask, optionally
 * its own session, a cgroup, a working directory and dropped privileges,
 * then execve()s. A failure in any step before exec is reported back through
 * a close-on-exec pipe (the libuv pattern), so the caller gets a negative
 * errno and the step's name instead of a child that dies silently. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct spawn_fd {
    int from; /* fd in the parent; -1 opens /dev/null (read-write) */
    int to;   /* fd number in the child */
};

struct spawn_opts {
    const char *file;  /* executable: a path, or a name searched in the child's PATH */
    char *const *argv; /* NULL-terminated */
    char *const *envp; /* NULL-terminated; the child's whole environment */
    const char *cwd;   /* NULL: inherit */
    const struct spawn_fd *fds;
    size_t n_fds;
    int new_session;   /* setsid() in the child */
    int into_cgroup;   /* start the child in the cgroup cgroup_dir_fd names */
    int cgroup_dir_fd; /* a cgroup v2 directory (with into_cgroup) */
    int set_ids;       /* drop to uid/gid (with supplementary groups of user) */
    uid_t uid;
    gid_t gid;
    const char *user; /* for initgroups(); NULL clears supplementary groups */
    /* When non-zero, the child's soft RLIMIT_NOFILE (at most the hard
     * limit): a daemon that raised its own limit hands down the usual one. */
    unsigned long nofile_soft;
    /* When set, an envp entry (at least 32 bytes, writable) that the child
     * fills with "LISTEN_PID=<its pid>" before exec (sd_listen_fds). */
    char *listen_pid_env;
};

/* Spawns the child. On success returns 0 and stores its pid in *pid. On
 * failure returns a negative errno, stores the name of the failed step
 * ("fork", "setsid", "cgroup", "fds", "chdir", "setgroups", "setgid",
 * "setuid", "exec") in *failed_step when it is not NULL, and the child, if
 * one was created, has already been reaped.
 *
 * With into_cgroup the child is created inside the cgroup by clone3
 * (CLONE_INTO_CGROUP, Linux 5.7): no migration, which costs milliseconds
 * (a cgroup-wide lock and an RCU grace period). Older kernels fall back to
 * fork and the child writing itself into cgroup.procs. */
int spawn_process(const struct spawn_opts *o, pid_t *pid, const char **failed_step);

/* Exit status a shell would use for an exec failure: 127 when the file was
 * not found, 126 when it was found but could not be executed. */
int spawn_exec_exit_code(int err);
