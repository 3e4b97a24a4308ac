/* jobs.c - the child drover commands of `drover monit` (jobs.h). */
#include "cli/monit/jobs.h"
#include "base/fdutil.h"
#include "loop/loop.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void finish_if_done(struct jobs *j, struct job *job)
{
    if (job->fd >= 0 || !job->reaped)
        return;
    j->done(job, j->data);
    strbuf_free(&job->out);
    memset(job, 0, sizeof(*job));
    job->fd = -1;
}

static void on_output(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct jobs *j = data;
    struct job *job = NULL;
    for (size_t i = 0; i < JOBS_MAX && !job; i++)
        if (j->slot[i].pid && j->slot[i].fd == fd)
            job = &j->slot[i];
    if (!job) {
        ev_io_del(loop, fd);
        return;
    }
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            /* past the cap the rest is read and dropped */
            (void)strbuf_append(&job->out, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && !(events & EV_ERROR))
            return;
        break; /* EOF, or an error: the output is over */
    }
    ev_io_close(loop, &job->fd);
    finish_if_done(j, job);
}

static void on_sigchld(struct ev_loop *loop, int signo, void *data)
{
    struct jobs *j = data;
    (void)loop;
    (void)signo;
    int status;
    pid_t pid;
    /* any child: a daemon this monit started, if it exits, is reaped too */
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < JOBS_MAX; i++) {
            struct job *job = &j->slot[i];
            if (job->pid != pid)
                continue;
            job->reaped = 1;
            job->status = status;
            finish_if_done(j, job);
        }
    }
}

/* Our environment for the children, with a relative DROVER_HOME made
 * absolute: they run in /. */
static int make_env(struct jobs *j)
{
    size_t n = 0;
    while (environ[n])
        n++;
    j->envp = calloc(n + 1, sizeof(char *));
    if (!j->envp)
        return -ENOMEM;
    char cwd[PATH_MAX];
    for (size_t i = 0; i < n; i++) {
        const char *e = environ[i];
        j->envp[i] = environ[i];
        if (strncmp(e, "DROVER_HOME=", 12) || e[12] == '/' || !e[12] || !getcwd(cwd, sizeof(cwd)))
            continue;
        if (snprintf(j->home_env, sizeof(j->home_env), "DROVER_HOME=%s/%s", cwd, e + 12) >=
            (int)sizeof(j->home_env))
            return -ENAMETOOLONG;
        j->envp[i] = j->home_env;
    }
    return 0;
}

int jobs_init(struct jobs *j, struct ev_loop *loop, const char *exe_dir, jobs_done_cb done,
              void *data)
{
    memset(j, 0, sizeof(*j));
    j->loop = loop;
    j->done = done;
    j->data = data;
    for (size_t i = 0; i < JOBS_MAX; i++)
        j->slot[i].fd = -1;
    if (snprintf(j->exe, sizeof(j->exe), "%s/drover", exe_dir) >= (int)sizeof(j->exe))
        return -ENAMETOOLONG;
    int r = make_env(j);
    return r < 0 ? r : ev_signal_add(loop, SIGCHLD, on_sigchld, j);
}

int jobs_start(struct jobs *j, enum job_kind kind, const char *label, const char *const *args)
{
    struct job *job = NULL;
    for (size_t i = 0; i < JOBS_MAX && !job; i++)
        if (!j->slot[i].pid)
            job = &j->slot[i];
    if (!job)
        return -EBUSY;
    char *argv[40] = {"drover"};
    for (size_t i = 0; args[i] && i + 2 < sizeof(argv) / sizeof(argv[0]); i++)
        argv[i + 1] = (char *)args[i];
    int p[2];
    int r = pipe_cloexec(p, 1, 0);
    if (r < 0)
        return r;
    struct spawn_fd fds[] = {{-1, 0}, {p[1], 1}, {p[1], 2}};
    struct spawn_opts o = {
        .file = j->exe,
        .argv = argv,
        .envp = j->envp,
        .cwd = "/",
        .fds = fds,
        .n_fds = 3,
        .new_session = 1, /* a ^C to monit does not cut an action short */
    };
    pid_t pid;
    r = spawn_process(&o, &pid, NULL);
    close(p[1]);
    if (r == 0)
        r = ev_io_add(j->loop, p[0], EV_READ, on_output, j);
    if (r < 0) {
        close(p[0]);
        return r;
    }
    job->pid = pid;
    job->fd = p[0];
    job->kind = kind;
    job->out.limit = JOBS_OUTPUT_MAX;
    snprintf(job->label, sizeof(job->label), "%s", label);
    return 0;
}

size_t jobs_running(const struct jobs *j)
{
    size_t n = 0;
    for (size_t i = 0; i < JOBS_MAX; i++)
        n += j->slot[i].pid != 0;
    return n;
}

void jobs_free(struct jobs *j)
{
    for (size_t i = 0; i < JOBS_MAX; i++) {
        ev_io_close(j->loop, &j->slot[i].fd);
        strbuf_free(&j->slot[i].out);
        j->slot[i].pid = 0;
    }
    free(j->envp);
    j->envp = NULL;
}
