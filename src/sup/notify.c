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

int notify_open(struct sup *s)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return neg_errno();
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int n =
        snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "drover.%d.notify", (int)getpid());
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    int r;
    if (bind(fd, (struct sockaddr *)&addr, len) < 0 ||
        (r = ev_io_add(s->loop, fd, EV_READ, on_readable, s)) < 0) {
        r = neg_errno();
        close(fd);
        return r;
    }
    s->notify_fd = fd;
    snprintf(s->notify_name, sizeof(s->notify_name), "@%s", addr.sun_path + 1);
    return 0;
}

void notify_close(struct sup *s)
{
    ev_io_close(s->loop, &s->notify_fd);
}
