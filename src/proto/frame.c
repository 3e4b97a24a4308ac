/* frame.c - encoding, decoding and blocking I/O of frames. */
#include "proto/frame.h"
#include "base/macros.h"
#include "base/timeutil.h"
#include "base/unixsock.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void frame_header_encode(uint8_t out[FRAME_HEADER_LEN], size_t len, unsigned n_fds)
{
    out[0] = FRAME_MAGIC0;
    out[1] = FRAME_MAGIC1;
    out[2] = FRAME_VERSION;
    out[3] = (uint8_t)n_fds;
    out[4] = (uint8_t)(len & 0xff);
    out[5] = (uint8_t)((len >> 8) & 0xff);
    out[6] = (uint8_t)((len >> 16) & 0xff);
    out[7] = (uint8_t)((len >> 24) & 0xff);
}

int frame_header_decode(const uint8_t in[FRAME_HEADER_LEN], size_t max, size_t *len,
                        unsigned *n_fds)
{
    if (in[0] != FRAME_MAGIC0 || in[1] != FRAME_MAGIC1)
        return -EPROTO;
    if (in[2] != FRAME_VERSION)
        return -EPROTONOSUPPORT;
    size_t l = (size_t)in[4] | ((size_t)in[5] << 8) | ((size_t)in[6] << 16) | ((size_t)in[7] << 24);
    *len = l;
    *n_fds = in[3];
    if (l > max || in[3] > FRAME_MAX_FDS)
        return -EMSGSIZE;
    return 0;
}

int frame_send(int fd, const void *payload, size_t len, const int *fds, unsigned n_fds)
{
    uint8_t hdr[FRAME_HEADER_LEN];
    if (len > UINT32_MAX || n_fds > FRAME_MAX_FDS)
        return -EMSGSIZE;
    frame_header_encode(hdr, len, n_fds);
    ssize_t n = unix_send_with_fds(fd, hdr, sizeof(hdr), fds, n_fds);
    if (n < 0)
        return (int)n;
    size_t off = (size_t)n;
    while (off < sizeof(hdr)) {
        ssize_t m = send(fd, hdr + off, sizeof(hdr) - off, MSG_NOSIGNAL);
        if (m < 0) {
            if (errno == EINTR)
                continue;
            return neg_errno();
        }
        off += (size_t)m;
    }
    const char *p = payload;
    while (len > 0) {
        ssize_t m = send(fd, p, len, MSG_NOSIGNAL);
        if (m < 0) {
            if (errno == EINTR)
                continue;
            return neg_errno();
        }
        p += m;
        len -= (size_t)m;
    }
    return 0;
}

/* Waits until fd is readable or the deadline passes. */
static int wait_readable(int fd, int64_t deadline)
{
    for (;;) {
        int timeout = -1;
        if (deadline >= 0) {
            int64_t left = deadline - mono_ms();
            if (left <= 0)
                return -ETIMEDOUT;
            timeout = (int)MIN(left, 0x7fffffff);
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, timeout);
        if (r > 0)
            return 0;
        if (r == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return neg_errno();
    }
}

/* Reads exactly len bytes, collecting attached fds. */
static int recv_exact(int fd, void *buf, size_t len, int64_t deadline, int *fds, unsigned *n_fds)
{
    char *p = buf;
    while (len > 0) {
        int r = wait_readable(fd, deadline);
        if (r < 0)
            return r;
        int got[FRAME_MAX_FDS];
        size_t ngot = 0;
        ssize_t n = unix_recv_with_fds(fd, p, len, got, ARRAY_SIZE(got), &ngot);
        if (n < 0) {
            if (n == -EAGAIN)
                continue;
            return (int)n;
        }
        for (size_t i = 0; i < ngot; i++) {
            if (fds && *n_fds < FRAME_MAX_FDS)
                fds[(*n_fds)++] = got[i];
            else
                close(got[i]);
        }
        if (n == 0)
            return -EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int frame_recv(int fd, size_t max, int timeout_ms, char **payload, size_t *len, int *fds,
               unsigned *n_fds)
{
    int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    uint8_t hdr[FRAME_HEADER_LEN];
    unsigned got_fds = 0, want_fds;
    size_t plen;
    int local_fds[FRAME_MAX_FDS];
    int *fdbuf = fds ? fds : local_fds;

    int r = recv_exact(fd, hdr, sizeof(hdr), deadline, fdbuf, &got_fds);
    if (r == 0)
        r = frame_header_decode(hdr, max, &plen, &want_fds);
    _cleanup_free_ char *buf = NULL;
    if (r == 0) {
        buf = malloc(plen + 1);
        if (!buf)
            r = -ENOMEM;
    }
    if (r == 0)
        r = recv_exact(fd, buf, plen, deadline, fdbuf, &got_fds);
    if (r == 0 && got_fds != want_fds)
        r = -EPROTO;
    if (r < 0 || !fds) {
        for (unsigned i = 0; i < got_fds; i++)
            close(fdbuf[i]);
        got_fds = 0;
        if (r < 0)
            return r;
    }
    buf[plen] = '\0';
    *payload = TAKE_PTR(buf);
    if (len)
        *len = plen;
    if (n_fds)
        *n_fds = got_fds;
    return 0;
}
