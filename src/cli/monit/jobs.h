/* jobs.h - the commands `drover monit` runs for its keys: each one is this
 * drover binary in a child (`drover restart <target> -s`, `drover describe
 * <target>`), in its own session, with its output (stdout and stderr on one
 * pipe) collected from the event loop. So an action that takes seconds (a
 * rolling reload) never stops the screen, a ^C to monit does not cut it
 * short, and what it does and says is exactly what the command does and
 * says. At most JOBS_MAX run at once; output past JOBS_OUTPUT_MAX is cut.
 *
 * Ownership: struct jobs is the caller's; jobs_free closes the pipes and
 * leaves running children to finish on their own. A struct job given to the
 * done callback is valid for the call only. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "base/strbuf.h"

struct ev_loop;

#define JOBS_MAX 4
#define JOBS_OUTPUT_MAX (512u << 10)

enum job_kind {
    JOB_ACTION,   /* its result goes to the status line */
    JOB_DESCRIBE, /* its output is shown whole */
};

struct job {
    pid_t pid; /* 0: a free slot */
    int fd;    /* read end of the child's output; -1 after EOF */
    int reaped;
    int status; /* wait status, once reaped */
    enum job_kind kind;
    char label[160]; /* what it does, "restart api" */
    struct strbuf out;
};

typedef void (*jobs_done_cb)(struct job *job, void *data);

struct jobs {
    struct ev_loop *loop;
    char exe[4200]; /* this drover */
    char **envp;    /* the children's environment; owned (the strings are environ's, or home_env) */
    char home_env[4200]; /* DROVER_HOME made absolute (the children run in /) */
    struct job slot[JOBS_MAX];
    jobs_done_cb done;
    void *data;
};

/* Prepares j for the drover binary in exe_dir (borrowed for the call) and
 * takes SIGCHLD on loop. done is called when a job's child exited and its
 * output ended. Returns 0 or a negative errno. */
int jobs_init(struct jobs *j, struct ev_loop *loop, const char *exe_dir, jobs_done_cb done,
              void *data);

/* Runs `drover <args...>` (args NULL-terminated, borrowed) as a job of kind
 * described by label, in / (it holds no directory busy, and no file there
 * is taken for a target). Returns 0, -EBUSY when JOBS_MAX run already, or a
 * negative errno of the spawn. */
int jobs_start(struct jobs *j, enum job_kind kind, const char *label, const char *const *args);

/* The number of jobs running. */
size_t jobs_running(const struct jobs *j);

/* Stops watching the pipes and closes them, frees what j holds; children
 * are left to finish. */
void jobs_free(struct jobs *j);
