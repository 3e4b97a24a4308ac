/* fuzz_frame_kv.c - what a peer sends on a control link: frame headers
 * (proto/frame.h), frames reassembled from a byte stream by a real conn on
 * an event loop (proto/conn.h) and by frame_recv, and kv payloads
 * (proto/kv.h).
 *
 * The stream is also decoded by a model written from frame.h's layout; the
 * conn and frame_recv must deliver exactly the model's frames, in order,
 * whatever the chunking, then stop the way the model says: EOF, a bad header
 * (-EPROTO, -EPROTONOSUPPORT, -EMSGSIZE; an oversized frame goes to
 * on_oversize, which answers and closes like the daemon does), or a frame
 * announcing descriptors that never came (-EPROTO). kv_parse must agree with
 * a validator written from kv.h, and a parsed message must re-encode to the
 * same bytes with kv_add, with kv_get, kv_next, kv_count and kv_get_i64
 * agreeing with a plain walk over its records.
 *
 * Input: byte 0 picks max_frame (bits 0-1) and whether the conn has an
 * on_oversize handler (bit 2); byte 1 seeds the write chunk sizes; the rest
 * is the stream, which is also parsed as one kv payload. */
#include "fuzz.h"

#include "base/strbuf.h"
#include "loop/loop.h"
#include "proto/conn.h"
#include "proto/frame.h"
#include "proto/kv.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_STREAM (64u * 1024) /* fits a socket buffer: frame_recv reads after writing */
#define KV_KEYS_CHECKED 32
#define OVERSIZE_REPLY "{\"ok\":false,\"error\":\"request too large\"}"

/* --- kv ----------------------------------------------------------------- */

static int key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

/* kv.h: records "key=value\0", keys [a-z0-9_.]+, values without NUL. */
static int kv_valid(const char *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nul = memchr(b + i, '\0', n - i);
        if (!nul)
            return 0;
        size_t k = 0;
        while (b + i + k < nul && b[i + k] != '=') {
            if (!key_char(b[i + k]))
                return 0;
            k++;
        }
        if (k == 0 || b + i + k == nul)
            return 0;
        i = (size_t)(nul - b) + 1;
    }
    return 1;
}

static int64_t ref_i64(const char *v, int64_t def)
{
    if (!v || !*v)
        return def;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    return (*end || errno) ? def : x;
}

static void check_key(const struct kv_msg *m, const char *key)
{
    size_t klen = strlen(key), count = 0, pos = 0;
    const char *first = NULL;
    for (size_t i = 0; i < m->len; i += strlen(m->buf + i) + 1) {
        const char *rec = m->buf + i;
        if (strncmp(rec, key, klen) != 0 || rec[klen] != '=')
            continue;
        const char *v = rec + klen + 1;
        if (!first)
            first = v;
        count++;
        const char *got = kv_next(m, key, &pos);
        FUZZ_CHECK(got == v, "kv_next('%s') #%zu is at %td, expected %td", key, count,
                   got ? got - m->buf : -1, v - m->buf);
    }
    FUZZ_CHECK(kv_next(m, key, &pos) == NULL, "kv_next('%s') goes on after %zu", key, count);
    FUZZ_CHECK(kv_get(m, key) == first, "kv_get('%s') is not the first value", key);
    FUZZ_CHECK(kv_count(m, key) == count, "kv_count('%s') %zu, expected %zu", key, kv_count(m, key),
               count);
    FUZZ_CHECK(kv_get_i64(m, key, -77) == ref_i64(first, -77), "kv_get_i64('%s')", key);
}

static void check_kv(const char *buf, size_t len)
{
    struct kv_msg m = {NULL, 0};
    int r = kv_parse(buf, len, &m);
    FUZZ_CHECK((r == 0) == kv_valid(buf, len), "kv_parse returned %d, validator says %d", r,
               kv_valid(buf, len));
    if (r < 0) {
        FUZZ_CHECK(r == -EPROTO, "kv_parse returned %d", r);
        return;
    }
    FUZZ_CHECK(m.buf == buf && m.len == len, "kv_parse kept another buffer");
    struct strbuf again = STRBUF_INIT;
    size_t checked = 0;
    for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
        const char *rec = buf + i, *eq = strchr(rec, '=');
        char *key = fuzz_strndup(rec, (size_t)(eq - rec));
        FUZZ_CHECK(kv_add(&again, key, eq + 1) == 0, "kv_add refuses a parsed record");
        if (checked++ < KV_KEYS_CHECKED)
            check_key(&m, key);
        free(key);
    }
    FUZZ_CHECK(again.len == len && (len == 0 || memcmp(again.buf, buf, len) == 0),
               "re-encoded records differ");
    strbuf_free(&again);
    check_key(&m, "no.such.key");
}

/* --- frame headers -------------------------------------------------------- */

static void check_header(const uint8_t hdr[FRAME_HEADER_LEN])
{
    static const size_t maxes[] = {
        0, 16, 4096, FRAME_MAX_INTERNAL, FRAME_MAX_REQUEST, FRAME_MAX_RESPONSE};
    size_t l = (size_t)hdr[4] | (size_t)hdr[5] << 8 | (size_t)hdr[6] << 16 | (size_t)hdr[7] << 24;
    for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
        size_t len = 77;
        unsigned n_fds = 77;
        int want = 0;
        if (hdr[0] != FRAME_MAGIC0 || hdr[1] != FRAME_MAGIC1)
            want = -EPROTO;
        else if (hdr[2] != FRAME_VERSION)
            want = -EPROTONOSUPPORT;
        else if (l > maxes[i] || hdr[3] > FRAME_MAX_FDS)
            want = -EMSGSIZE;
        int r = frame_header_decode(hdr, maxes[i], &len, &n_fds);
        FUZZ_CHECK(r == want, "decode with max %zu: %d, expected %d", maxes[i], r, want);
        if (r == 0 || r == -EMSGSIZE)
            FUZZ_CHECK(len == l && n_fds == hdr[3], "decode filled len %zu n_fds %u", len, n_fds);
        if (r == 0) {
            uint8_t again[FRAME_HEADER_LEN];
            frame_header_encode(again, len, n_fds);
            FUZZ_CHECK(memcmp(again, hdr, FRAME_HEADER_LEN) == 0, "encode(decode(h)) != h");
        }
    }
    /* encode then decode any length and descriptor count */
    uint8_t enc[FRAME_HEADER_LEN];
    size_t len;
    unsigned n_fds;
    frame_header_encode(enc, l, hdr[3] % (FRAME_MAX_FDS + 1));
    FUZZ_CHECK(frame_header_decode(enc, UINT32_MAX, &len, &n_fds) == 0 && len == l &&
                   n_fds == hdr[3] % (FRAME_MAX_FDS + 1u),
               "decode(encode(%zu, %u))", l, hdr[3] % (FRAME_MAX_FDS + 1u));
}

/* --- the model of a stream -------------------------------------------------- */

enum stop { STOP_EOF, STOP_HEADER, STOP_FDS };

struct model {
    size_t n_frames;
    size_t *start, *len; /* payload offset and length of each frame */
    enum stop stop;
    int header_err;      /* STOP_HEADER: what decoding says */
    size_t header_len;   /* STOP_HEADER: the length it announced */
    unsigned header_fds; /* STOP_HEADER: the descriptors it announced */
};

static void model_build(struct model *m, const uint8_t *s, size_t n, size_t max)
{
    size_t cap = n / FRAME_HEADER_LEN + 1, off = 0;
    memset(m, 0, sizeof(*m));
    m->start = malloc(cap * sizeof(size_t));
    m->len = malloc(cap * sizeof(size_t));
    FUZZ_CHECK(m->start && m->len, "out of memory");
    for (;;) {
        if (n - off < FRAME_HEADER_LEN) {
            m->stop = STOP_EOF;
            return;
        }
        const uint8_t *h = s + off;
        size_t l = (size_t)h[4] | (size_t)h[5] << 8 | (size_t)h[6] << 16 | (size_t)h[7] << 24;
        m->header_len = l;
        m->header_fds = h[3];
        if (h[0] != FRAME_MAGIC0 || h[1] != FRAME_MAGIC1 || h[2] != FRAME_VERSION || l > max ||
            h[3] > FRAME_MAX_FDS) {
            m->stop = STOP_HEADER;
            m->header_err = (h[0] != FRAME_MAGIC0 || h[1] != FRAME_MAGIC1) ? -EPROTO
                            : h[2] != FRAME_VERSION                        ? -EPROTONOSUPPORT
                                                                           : -EMSGSIZE;
            return;
        }
        if (n - off - FRAME_HEADER_LEN < l) {
            m->stop = STOP_EOF;
            return;
        }
        if (h[3] > 0) {
            m->stop = STOP_FDS; /* no descriptors are ever sent here */
            return;
        }
        m->start[m->n_frames] = off + FRAME_HEADER_LEN;
        m->len[m->n_frames++] = l;
        off += FRAME_HEADER_LEN + l;
    }
}

static void model_free(struct model *m)
{
    free(m->start);
    free(m->len);
}

/* --- a conn on an event loop ---------------------------------------------- */

struct conn_run {
    const uint8_t *stream;
    const struct model *m;
    size_t got;
    int closed, close_err;
    int oversized;
    size_t oversize_len;
};

static void on_frame(struct conn *c, char *payload, size_t len, int *fds, unsigned n_fds,
                     void *data)
{
    struct conn_run *run = data;
    (void)c;
    (void)fds;
    size_t i = run->got++;
    FUZZ_CHECK(n_fds == 0, "a frame with %u descriptors that were never sent", n_fds);
    FUZZ_CHECK(i < run->m->n_frames, "conn delivered frame #%zu, the model has %zu", i,
               run->m->n_frames);
    FUZZ_CHECK(len == run->m->len[i] && memcmp(payload, run->stream + run->m->start[i], len) == 0,
               "conn frame #%zu differs (%zu bytes, expected %zu)", i, len, run->m->len[i]);
    FUZZ_CHECK(payload[len] == '\0', "conn frame #%zu is not NUL-terminated", i);
}

static void on_close(struct conn *c, int err, void *data)
{
    struct conn_run *run = data;
    (void)c;
    FUZZ_CHECK(!run->closed, "on_close called twice");
    run->closed = 1;
    run->close_err = err;
}

/* What the daemon does: answer, then close once the answer is out. */
static void on_oversize(struct conn *c, size_t len, void *data)
{
    struct conn_run *run = data;
    FUZZ_CHECK(!run->oversized, "on_oversize called twice");
    run->oversized = 1;
    run->oversize_len = len;
    FUZZ_CHECK(conn_send(c, OVERSIZE_REPLY, strlen(OVERSIZE_REPLY), NULL, 0) == 0,
               "cannot answer an oversized frame");
    conn_close_after_flush(c);
}

static void pump(struct ev_loop *loop, const struct conn_run *run)
{
    for (int i = 0; i < 64 && !run->closed; i++)
        if (ev_loop_run_once(loop, 0) <= 0)
            break;
}

static void check_conn(const uint8_t *s, size_t n, size_t max, int with_oversize, uint64_t seed,
                       const struct model *m)
{
    int sv[2];
    struct ev_loop *loop = ev_loop_new();
    FUZZ_CHECK(loop, "ev_loop_new failed");
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    struct conn_handlers h = {.on_frame = on_frame, .on_close = on_close};
    if (with_oversize)
        h.on_oversize = on_oversize;
    struct conn_run run = {.stream = s, .m = m};
    struct conn *c = conn_new(loop, sv[0], max, &h, &run);
    FUZZ_CHECK(c, "conn_new failed");
    fcntl(sv[1], F_SETFL, O_NONBLOCK);

    size_t off = 0;
    int write_failed = 0;
    while (off < n && !run.closed && !run.oversized && !write_failed) {
        uint64_t x = fuzz_rand(&seed);
        size_t chunk = (x & 0x100) ? 1 + x % 4096 : 1 + x % 24;
        if (chunk > n - off)
            chunk = n - off;
        ssize_t w = send(sv[1], s + off, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
            off += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EINTR)
            write_failed = 1; /* the conn went away: it must say why below */
        pump(loop, &run);
    }
    shutdown(sv[1], SHUT_WR);
    for (int i = 0; i < 200 && !run.closed && !run.oversized; i++)
        ev_loop_run_once(loop, 50);

    FUZZ_CHECK(run.got == m->n_frames, "conn delivered %zu frames, the model %zu", run.got,
               m->n_frames);
    int want_oversize = with_oversize && m->stop == STOP_HEADER && m->header_err == -EMSGSIZE &&
                        m->header_fds <= FRAME_MAX_FDS;
    if (want_oversize) {
        FUZZ_CHECK(run.oversized && !run.closed, "an oversized frame: oversized %d closed %d (%d)",
                   run.oversized, run.closed, run.close_err);
        FUZZ_CHECK(run.oversize_len == m->header_len, "on_oversize told %zu, announced %zu",
                   run.oversize_len, m->header_len);
        for (int i = 0; i < 8; i++)
            ev_loop_run_once(loop, 0);
        char *reply = NULL;
        size_t rlen = 0;
        fcntl(sv[1], F_SETFL, 0);
        int r = frame_recv(sv[1], 4096, 2000, &reply, &rlen, NULL, NULL);
        FUZZ_CHECK(r == 0 && rlen == strlen(OVERSIZE_REPLY) && !memcmp(reply, OVERSIZE_REPLY, rlen),
                   "the answer to an oversized frame did not arrive (%d)", r);
        free(reply);
        char byte;
        ssize_t e = recv(sv[1], &byte, 1, MSG_DONTWAIT);
        FUZZ_CHECK(e == 0 || (e < 0 && errno == ECONNRESET),
                   "the conn did not close after its answer (%zd, %s)", e,
                   e < 0 ? strerror(errno) : "data");
    } else {
        int want = m->stop == STOP_EOF ? 0 : m->stop == STOP_FDS ? -EPROTO : m->header_err;
        FUZZ_CHECK(run.closed && !run.oversized, "the conn neither closed nor stopped");
        FUZZ_CHECK(run.close_err == want, "on_close said %d, expected %d", run.close_err, want);
    }
    close(sv[1]);
    ev_loop_free(loop);
}

/* --- frame_recv, the blocking reader of the CLI and the shim ---------------- */

static void check_frame_recv(const uint8_t *s, size_t n, size_t max, const struct model *m)
{
    int sv[2];
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(sv[1], s + off, n - off, MSG_NOSIGNAL);
        FUZZ_CHECK(w > 0, "cannot write the stream");
        off += (size_t)w;
    }
    shutdown(sv[1], SHUT_WR);
    size_t i = 0;
    int r;
    for (;;) {
        char *payload = NULL;
        size_t len = 0;
        unsigned n_fds = 77;
        r = frame_recv(sv[0], max, 1000, &payload, &len, NULL, &n_fds);
        if (r < 0)
            break;
        FUZZ_CHECK(i < m->n_frames, "frame_recv read frame #%zu, the model has %zu", i,
                   m->n_frames);
        FUZZ_CHECK(len == m->len[i] && memcmp(payload, s + m->start[i], len) == 0 &&
                       payload[len] == '\0' && n_fds == 0,
                   "frame_recv frame #%zu differs", i);
        free(payload);
        i++;
    }
    FUZZ_CHECK(i == m->n_frames, "frame_recv read %zu frames, the model %zu", i, m->n_frames);
    int want = m->stop == STOP_EOF ? -EPIPE : m->stop == STOP_FDS ? -EPROTO : m->header_err;
    FUZZ_CHECK(r == want, "frame_recv stopped with %d, expected %d", r, want);
    close(sv[0]);
    close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t maxes[] = {16, 1024, FRAME_MAX_INTERNAL, FRAME_MAX_REQUEST};
    if (size < 2 || size > MAX_STREAM + 2)
        return 0;
    size_t max = maxes[data[0] & 3];
    int with_oversize = data[0] >> 2 & 1;
    const uint8_t *s = data + 2;
    size_t n = size - 2;

    check_kv((const char *)s, n);
    if (n >= FRAME_HEADER_LEN)
        check_header(s);

    struct model m;
    model_build(&m, s, n, max);
    for (size_t i = 0; i < m.n_frames; i++)
        check_kv((const char *)s + m.start[i], m.len[i]);
    check_conn(s, n, max, with_oversize, (uint64_t)data[1] + 1, &m);
    check_frame_recv(s, n, max, &m);
    model_free(&m);
    return 0;
}
