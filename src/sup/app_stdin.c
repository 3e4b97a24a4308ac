/* app_stdin.c - the app's stdin pipe and its bounded queue (app_stdin.h). */
#include "sup/app_stdin.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "loop/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int app_stdin_open(struct app_stdin *in, struct ev_loop *loop)
{
    int fds[2];
    *in = (struct app_stdin){.loop = loop, .read_fd = -1, .write_fd = -1};
    int r = pipe_cloexec(fds, 0, 1);
    if (r < 0)
        return r;
    in->read_fd = fds[0];
    in->write_fd = fds[1];
    return 0;
}

/* Writes from the front of the queue. Returns 0 or a negative errno other
 * than EAGAIN. */
static int drain(struct app_stdin *in)
{
    while (in->queued > 0) {
        ssize_t n = write(in->write_fd, in->queue, in->queued);
        if (n < 0)
            return errno == EINTR ? 0 : errno == EAGAIN ? 0 : -errno;
        memmove(in->queue, in->queue + n, in->queued - (size_t)n);
        in->queued -= (size_t)n;
    }
    return 0;
}

static void on_writable(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct app_stdin *in = data;
    (void)events;
    (void)fd;
    if (drain(in) < 0)
        in->queued = 0; /* cannot happen while we hold the read end */
    if (in->queued == 0)
        ev_io_del(loop, in->write_fd);
}

int app_stdin_write(struct app_stdin *in, const char *data, size_t len)
{
    if (in->write_fd < 0)
        return -EBADF;
    if (len > APP_STDIN_QUEUE_MAX)
        return -EMSGSIZE;
    /* allocated before anything is written, so a refusal is always whole
     * (untouched pages cost no memory) */
    if (!in->queue && !(in->queue = malloc(APP_STDIN_QUEUE_MAX)))
        return -ENOMEM;
    size_t done = 0;
    if (in->queued == 0) {
        while (done < len) {
            ssize_t n = write(in->write_fd, data + done, len - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                break;
            if (n < 0)
                return -errno;
            done += (size_t)n;
        }
        if (done == len)
            return 0;
    } else if (len > APP_STDIN_QUEUE_MAX - in->queued) {
        return -ENOBUFS;
    }
    /* the rest waits (it fits: the queue was empty) */
    memcpy(in->queue + in->queued, data + done, len - done);
    int was_empty = in->queued == 0;
    in->queued += len - done;
    if (was_empty) {
        int r = ev_io_add(in->loop, in->write_fd, EV_WRITE, on_writable, in);
        if (r < 0 && r != -EEXIST) {
            in->queued -= len - done;
            return r;
        }
    }
    return 0;
}

size_t app_stdin_queued(const struct app_stdin *in)
{
    return in->queued;
}

int app_stdin_fd_for_run(struct app_stdin *in)
{
    if (in->read_fd < 0)
        return -1;
    (void)fd_set_nonblock(in->read_fd, 0);
    return in->read_fd;
}

void app_stdin_close(struct app_stdin *in)
{
    if (in->write_fd >= 0)
        ev_io_close(in->loop, &in->write_fd);
    if (in->read_fd >= 0)
        close(in->read_fd);
    in->read_fd = -1;
    free(in->queue);
    in->queue = NULL;
    in->queued = 0;
}
