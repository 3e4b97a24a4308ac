/* sdnotify.c - the systemd notification protocol, sending side. */
#include "daemon/sdnotify.h"
#include "base/macros.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char notify_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];

void sdnotify_init(void)
{
    const char *p = getenv("NOTIFY_SOCKET");
    if (p && strlen(p) < sizeof(notify_path))
        snprintf(notify_path, sizeof(notify_path), "%s", p);
    unsetenv("NOTIFY_SOCKET");
}

int sdnotify_send(const char *state)
{
    if (!notify_path[0])
        return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(notify_path);
    if (notify_path[0] != '/' && notify_path[0] != '@')
        return -EAFNOSUPPORT; /* vsock addresses are not supported */
    if (len > sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, notify_path, len);
    if (notify_path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace: no NUL terminator counted */
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return neg_errno();
    ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    int r = n < 0 ? neg_errno() : 0;
    close(fd);
    return r;
}
