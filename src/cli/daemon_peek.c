/* daemon_peek.c - a quick, quiet question to a running daemon
 * (daemon_peek.h). */
#include "cli/daemon_peek.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/timeutil.h"
#include "base/unixsock.h"
#include "proto/frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int daemon_peek(const struct cli *c, json_t *req, int timeout_ms, json_t **reply)
{
    *reply = NULL;
    int64_t deadline = mono_ms() + timeout_ms;
    _cleanup_close_ int fd = unix_connect(c->paths.daemon_sock, 1);
    if (fd == -ENOENT || fd == -ECONNREFUSED)
        return -ENOTCONN;
    if (fd < 0)
        return fd;
    if (fd_set_nonblock(fd, 0) < 0)
        return -EIO;
    _cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
    if (!text)
        return -ENOMEM;
    int r = frame_send(fd, text, strlen(text), NULL, 0);
    while (r == 0) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        _cleanup_free_ char *payload = NULL;
        size_t len;
        r = frame_recv(fd, FRAME_MAX_RESPONSE, (int)left, &payload, &len, NULL, NULL);
        if (r < 0)
            break;
        json_t *o = json_loadb(payload, len, 0, NULL);
        /* progress frames say the daemon works on it; the reply has "ok" */
        if (o && json_object_get(o, "progress") && !json_object_get(o, "ok")) {
            json_decref(o);
            continue;
        }
        if (!json_is_object(o) || !json_is_true(json_object_get(o, "ok"))) {
            json_decref(o);
            return -EPROTO;
        }
        *reply = o;
        return 0;
    }
    return r;
}
