/* log_compress.c - one drover-gzip at a time, and a queue. */
#include "logs/log_compress.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int log_compress_init(struct log_compress *c, const char *helper)
{
    memset(c, 0, sizeof(*c));
    c->helper = strdup(helper);
    return c->helper ? 0 : -ENOMEM;
}

/* Starts the helper on the oldest queued file that still exists. */
static void start_next(struct log_compress *c)
{
    while (c->pid == 0 && c->n_queued > 0) {
        char *path = c->queue[0];
        memmove(c->queue, c->queue + 1, (c->n_queued - 1) * sizeof(c->queue[0]));
        c->n_queued--;

        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(path); /* pruned meanwhile */
            continue;
        }
        char *argv[] = {c->helper, path, NULL};
        char *envp[] = {NULL};
        /* stderr stays ours so the helper's error lands in our log */
        int err_from = fcntl(STDERR_FILENO, F_GETFD) >= 0 ? STDERR_FILENO : -1;
        struct spawn_fd fds[] = {{-1, 0}, {-1, 1}, {err_from, 2}};
        struct spawn_opts o = {
            .file = c->helper,
            .argv = argv,
            .envp = envp,
            .fds = fds,
            .n_fds = 3,
            .new_session = 1, /* out of reach of a terminal's ^C */
        };
        pid_t pid;
        if (spawn_process(&o, &pid, NULL) < 0) {
            c->failed++;
            free(path);
            continue;
        }
        c->started++;
        c->pid = pid;
        c->running = path;
    }
}

int log_compress_add(struct log_compress *c, const char *path)
{
    if (c->n_queued >= LOG_COMPRESS_QUEUE_MAX) {
        c->skipped++;
        return -ENOBUFS;
    }
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    c->queue[c->n_queued++] = copy;
    start_next(c);
    return 0;
}

int log_compress_child_exited(struct log_compress *c, pid_t pid, int status)
{
    if (pid <= 0 || pid != c->pid)
        return 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        c->failed++;
    c->pid = 0;
    free(c->running);
    c->running = NULL;
    start_next(c);
    return 1;
}

const char *log_compress_running(const struct log_compress *c)
{
    return c->running;
}

void log_compress_free(struct log_compress *c)
{
    for (unsigned i = 0; i < c->n_queued; i++)
        free(c->queue[i]);
    free(c->running);
    free(c->helper);
    memset(c, 0, sizeof(*c));
}
