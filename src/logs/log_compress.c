/* log_compress.c - one drover-gzip at a time, and a queue. */
#include "logs/log_compress.h"
#include "base/macros.h"
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
    c->running.dirfd = -1;
    c->helper = strdup(helper);
    return c->helper ? 0 : -ENOMEM;
}

/* An item holds its fd only while it has a name (a zeroed one holds none). */
static void item_free(struct log_compress_item *it)
{
    if (it->name && it->dirfd >= 0)
        close(it->dirfd);
    free(it->name);
    it->dirfd = -1;
    it->name = NULL;
}

/* Opens a rotated file for the helper: ours, regular, one link, no symlink.
 * Returns the fd or a negative errno. */
static int open_rotated(const struct log_compress_item *it)
{
    int fd = openat(it->dirfd, it->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return neg_errno();
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
        close(fd);
        return -EPERM;
    }
    return fd;
}

/* Starts the helper on the oldest queued file that is still there. */
static void start_next(struct log_compress *c)
{
    while (c->pid == 0 && c->n_queued > 0) {
        struct log_compress_item it = c->queue[0];
        memmove(c->queue, c->queue + 1, (c->n_queued - 1) * sizeof(c->queue[0]));
        c->n_queued--;

        int in = open_rotated(&it);
        if (in < 0) {
            if (in != -ENOENT) /* ENOENT: pruned meanwhile */
                c->failed++;
            item_free(&it);
            continue;
        }
        char *argv[] = {c->helper, "--at", it.name, NULL};
        char *envp[] = {NULL};
        /* stderr stays ours so the helper's error lands in our log */
        int err_from = fcntl(STDERR_FILENO, F_GETFD) >= 0 ? STDERR_FILENO : -1;
        struct spawn_fd fds[] = {{in, 0}, {-1, 1}, {err_from, 2}, {it.dirfd, 3}};
        struct spawn_opts o = {
            .file = c->helper,
            .argv = argv,
            .envp = envp,
            .fds = fds,
            .n_fds = 4,
            .new_session = 1, /* out of reach of a terminal's ^C */
        };
        pid_t pid;
        int r = spawn_process(&o, &pid, NULL);
        close(in);
        if (r < 0) {
            c->failed++;
            item_free(&it);
            continue;
        }
        c->started++;
        c->pid = pid;
        c->running = it;
    }
}

int log_compress_add(struct log_compress *c, int dirfd, const char *name)
{
    if (c->n_queued >= LOG_COMPRESS_QUEUE_MAX) {
        c->skipped++;
        return -ENOBUFS;
    }
    struct log_compress_item it = {fcntl(dirfd, F_DUPFD_CLOEXEC, 3), strdup(name)};
    if (it.dirfd < 0 || !it.name) {
        if (it.dirfd >= 0)
            close(it.dirfd);
        free(it.name);
        return -ENOMEM;
    }
    c->queue[c->n_queued++] = it;
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
    item_free(&c->running);
    start_next(c);
    return 1;
}

const char *log_compress_running(const struct log_compress *c)
{
    return c->running.name;
}

void log_compress_free(struct log_compress *c)
{
    for (unsigned i = 0; i < c->n_queued; i++)
        item_free(&c->queue[i]);
    item_free(&c->running);
    free(c->helper);
    memset(c, 0, sizeof(*c));
    c->running.dirfd = -1;
}
