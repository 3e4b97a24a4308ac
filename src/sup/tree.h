/* tree.h - the process tree of one instance: everything the app started,
 * including double-forked grandchildren.
 *
 * The supervisor is a child subreaper (PR_SET_CHILD_SUBREAPER), so an
 * orphan anywhere below it is re-parented to it rather than to init: "the
 * tree" is every descendant of the supervisor, minus its own helpers (the
 * log compressor). When a cgroup v2 directory could be created for the
 * instance, membership and killing use it instead (cgroup.procs,
 * cgroup.kill), which also catches processes that escaped by other means. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct proc_tree {
    pid_t root;       /* the supervisor itself */
    int cgroup_dirfd; /* -1 when no cgroup is used */
    char cgroup_path[512];
    int cgroup_killed; /* cgroup.kill was used: renew the cgroup before the next run */
    pid_t exclude[4];  /* helper pids that are not part of the app */
    size_t n_exclude;
};

/* Initialises the tree for this process. With cgroup_path non-NULL, tries to
 * create that directory (and parents); if that fails the tree silently falls
 * back to /proc walking. Returns 0. */
int tree_init(struct proc_tree *t, const char *cgroup_path);

/* Makes the cgroup ready for a new run. After cgroup.kill some kernels
 * (seen on 6.18) SIGKILL every process later created into that cgroup with
 * clone3(CLONE_INTO_CGROUP): a killed cgroup is replaced by a fresh one.
 * Falls back to /proc walking if that fails. Call with the tree empty. */
void tree_prepare_run(struct proc_tree *t);

/* Removes the cgroup directory (when empty) and closes fds. */
void tree_destroy(struct proc_tree *t);

/* Stores the pids of the live processes of the tree (at most max) in out;
 * returns how many. */
size_t tree_pids(const struct proc_tree *t, pid_t *out, size_t max);

/* Counts live (non-zombie) processes in the tree. */
size_t tree_count(const struct proc_tree *t);

/* Sends sig to every live process in the tree, through pidfds. Returns the
 * number of processes signalled. */
size_t tree_signal(const struct proc_tree *t, int sig);

/* SIGKILLs the whole tree (cgroup.kill when available). Returns the number
 * of processes that were alive. */
size_t tree_kill(struct proc_tree *t);

/* True when pid is in the tree: a descendant of the supervisor (walking
 * parents in /proc) or a member of the instance cgroup. Used to accept
 * readiness notifications and socket requests only from the app. */
int tree_contains(const struct proc_tree *t, pid_t pid);

/* Marks pid as a supervisor helper, not part of the app tree (0 clears). */
void tree_set_helper(struct proc_tree *t, pid_t pid);
