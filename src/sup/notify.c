/* notify.c - the sd_notify socket offered to the app. */
#include "sup/notify.h"
#include "base/log.h"
#include "base/macros.h"
#include "loop/loop.h"
#include "sup/sup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void handle_datagram(struct sup *s, char *text)
{
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strcmp(line, "READY=1") == 0)
            instance_mark_ready(&s->inst);
        else if (strncmp(line, "STATUS=", 7) == 0) {
            snprintf(s->notify_status, sizeof(s->notify_status), "%s", line + 7);
            control_broadcast_state(s);
        }
    }
}

static void on_readable(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct sup *s = data;
    (void)loop;
    (void)events;
    for (int rounds = 0; rounds < 32; rounds++) {
        char buf[4097];
        union {
            char buf[CMSG_SPACE(sizeof(struct ucred))];
            struct cmsghdr align;
        } u;
        struct iovec iov = {buf, sizeof(buf) - 1};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf)};
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
            return;
        buf[n] = '\0';
        pid_t sender = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred;
                memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                sender = cred.pid;
            } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                /* fd store is not offered: close whatever was sent */
                int *fds = (int *)CMSG_DATA(c);
                size_t cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < cnt; i++)
                    close(fds[i]);
            }
        }
        if (sender > 0 && tree_contains(&s->inst.tree, sender))
            handle_datagram(s, buf);
        else
            log_debug("%s:%lld: ignored a notification from pid %d (not the app's)", s->spec.name,
                      (long long)s->spec.id, (int)sender);
    }
}

/* Binds the socket at the spec's path. Returns 0 or a negative errno (the
 * caller falls back to an abstract name). The home is private (0700): an
 * app running as another user could not reach a path in it, so it gets the
 * abstract name, which needs no permission (senders are checked by pid). */
static int bind_path(struct sup *s, int fd)
{
    const char *path = s->spec.notify_path;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (s->spec.set_ids && (uid_t)s->spec.uid != geteuid())
        return -EACCES;
    if (!path || strlen(path) >= sizeof(addr.sun_path) || strlen(path) >= sizeof(s->notify_name))
        return -ENAMETOOLONG;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (unlink(path) < 0 && errno != ENOENT)
        return neg_errno();
    mode_t old = umask(0177);
    int r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (r < 0)
        return neg_errno();
    snprintf(s->notify_name, sizeof(s->notify_name), "%s", path);
    s->notify_bound_path = 1;
    return 0;
}

static int new_socket(void)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return neg_errno();
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
    return fd;
}

int notify_open(struct sup *s)
{
    int fd = new_socket();
    if (fd < 0)
        return fd;
    int r = bind_path(s, fd);
    if (r < 0) {
        /* a path too long for sun_path or out of the app's reach: an
         * abstract name (sd_notify in C, Go and Python take it; some
         * libraries, like Ruby's sd_notify gem, do not) */
        close(fd);
        if ((fd = new_socket()) < 0)
            return fd;
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "drover.%d.notify",
                         (int)getpid());
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
        if (bind(fd, (struct sockaddr *)&addr, len) < 0) {
            r = neg_errno();
            close(fd);
            return r;
        }
        snprintf(s->notify_name, sizeof(s->notify_name), "@%s", addr.sun_path + 1);
    }
    if ((r = ev_io_add(s->loop, fd, EV_READ, on_readable, s)) < 0) {
        close(fd);
        return r;
    }
    s->notify_fd = fd;
    return 0;
}

void notify_close(struct sup *s)
{
    ev_io_close(s->loop, &s->notify_fd);
    if (s->notify_bound_path)
        unlink(s->spec.notify_path);
    s->notify_bound_path = 0;
}
