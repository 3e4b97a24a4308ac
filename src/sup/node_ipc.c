/* node_ipc.c - Node's IPC channel (JSON lines over a socketpair). */
#include "sup/node_ipc.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "loop/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct node_ipc {
    struct ev_loop *loop;
    struct node_ipc_handlers h;
    void *data;
    int fd; /* our end, -1 when closed */
    struct strbuf line;
    int skipping; /* inside an over-long line */
    char *kept[NODE_IPC_KEEP];
    size_t n_kept;
};

struct node_ipc *node_ipc_new(struct ev_loop *loop, const struct node_ipc_handlers *h, void *data)
{
    struct node_ipc *ipc = calloc(1, sizeof(*ipc));
    if (!ipc)
        return NULL;
    ipc->loop = loop;
    ipc->h = *h;
    ipc->data = data;
    ipc->fd = -1;
    ipc->line.limit = NODE_IPC_LINE_MAX;
    return ipc;
}

static void keep(struct node_ipc *ipc, const char *json)
{
    size_t len = strlen(json);
    if (len > NODE_IPC_MSG_MAX)
        len = NODE_IPC_MSG_MAX;
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, json, len);
    copy[len] = '\0';
    if (ipc->n_kept == NODE_IPC_KEEP) {
        free(ipc->kept[0]);
        memmove(ipc->kept, ipc->kept + 1, (NODE_IPC_KEEP - 1) * sizeof(char *));
        ipc->n_kept--;
    }
    ipc->kept[ipc->n_kept++] = copy;
}

/* One JSON value from the app. Only two shapes matter: the string "ready"
 * and objects whose "type" is "process:msg"; Node's own internal messages
 * ({"cmd": "NODE_..."}) are ignored. */
static void handle_line(struct node_ipc *ipc, const char *json)
{
    while (*json == ' ' || *json == '\t')
        json++;
    if (strcmp(json, "\"ready\"") == 0) {
        if (ipc->h.on_ready)
            ipc->h.on_ready(ipc->data);
        return;
    }
    if (json[0] == '{' && strstr(json, "\"type\":\"process:msg\"")) {
        keep(ipc, json);
        if (ipc->h.on_message)
            ipc->h.on_message(ipc->data, json);
    }
}

static void on_readable(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct node_ipc *ipc = data;
    char buf[4096];
    (void)loop;
    (void)events;
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            node_ipc_close(ipc);
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                if (!ipc->skipping && ipc->line.len)
                    handle_line(ipc, ipc->line.buf);
                strbuf_reset(&ipc->line);
                ipc->skipping = 0;
            } else if (!ipc->skipping && strbuf_putc(&ipc->line, buf[i]) < 0) {
                ipc->skipping = 1;
                strbuf_reset(&ipc->line);
            }
        }
    }
}

int node_ipc_open(struct node_ipc *ipc)
{
    int sv[2];
    node_ipc_close(ipc);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
        return neg_errno();
    int r = ev_io_add(ipc->loop, sv[0], EV_READ, on_readable, ipc);
    if (r < 0) {
        close(sv[0]);
        close(sv[1]);
        return r;
    }
    ipc->fd = sv[0];
    return sv[1];
}

void node_ipc_close(struct node_ipc *ipc)
{
    if (ipc->fd < 0)
        return;
    ev_io_close(ipc->loop, &ipc->fd);
    strbuf_reset(&ipc->line);
    ipc->skipping = 0;
}

int node_ipc_send(struct node_ipc *ipc, const char *json)
{
    if (ipc->fd < 0)
        return -ENOTCONN;
    size_t len = strlen(json);
    char buf[1024];
    if (len + 1 > sizeof(buf))
        return -E2BIG;
    memcpy(buf, json, len);
    buf[len] = '\n';
    ssize_t n = send(ipc->fd, buf, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0)
        return neg_errno();
    return (size_t)n == len + 1 ? 0 : -EAGAIN;
}

size_t node_ipc_messages(const struct node_ipc *ipc, const char **out, size_t max)
{
    size_t n = MIN(ipc->n_kept, max);
    for (size_t i = 0; i < n; i++)
        out[i] = ipc->kept[ipc->n_kept - n + i];
    return n;
}

void node_ipc_free(struct node_ipc *ipc)
{
    if (!ipc)
        return;
    node_ipc_close(ipc);
    for (size_t i = 0; i < ipc->n_kept; i++)
        free(ipc->kept[i]);
    strbuf_free(&ipc->line);
    free(ipc);
}
