/* Unit tests for proto/kvcodec.c through its two messages, proto/spec.c
 * (the supervisor's spec) and proto/snapshot.c (an instance's state), and
 * for proto/status.c: round trips with every field set, missing and
 * malformed fields named, the spec's range checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/kv.h"
#include "proto/snapshot.h"
#include "proto/spec.h"
#include "proto/status.h"

/* --- records: copying a packed message with one key dropped or replaced --- */

/* A copy of buf[0..len) where every record of key is dropped (value NULL)
 * or has its value replaced; the replacement is appended once if the key
 * was absent and append is set. Caller frees. */
static char *edit_records(const char *buf, size_t len, const char *key, const char *value,
                          int append, size_t *out_len)
{
    struct strbuf sb = STRBUF_INIT;
    size_t klen = strlen(key);
    int seen = 0;
    for (size_t pos = 0; pos < len;) {
        const char *rec = buf + pos;
        size_t rlen = strlen(rec);
        if (strncmp(rec, key, klen) == 0 && rec[klen] == '=') {
            if (value && !seen)
                assert_int_equal(kv_add(&sb, key, value), 0);
            seen = 1;
        } else {
            assert_int_equal(strbuf_append(&sb, rec, rlen + 1), 0);
        }
        pos += rlen + 1;
    }
    if (!seen && value && append)
        assert_int_equal(kv_add(&sb, key, value), 0);
    if (!sb.buf)
        assert_int_equal(strbuf_reserve(&sb, 1), 0);
    return strbuf_detach(&sb, out_len);
}

/* --- the spec -------------------------------------------------------------- */

#define N_ARGV 300
#define N_ENVP 500

struct spec_storage {
    char *argv[N_ARGV + 1];
    char *envp[N_ENVP + 1];
};

/* A spec with every field set to a value no other field has. */
static void full_spec(struct inst_spec *s, struct spec_storage *st)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < N_ARGV; i++)
        assert_true(asprintf(&st->argv[i], "arg%d=x=y ünï ✓ %d", i, i * 7) > 0);
    st->argv[N_ARGV] = NULL;
    for (int i = 0; i < N_ENVP; i++)
        assert_true(asprintf(&st->envp[i], "VAR_%d=value=with=equals \xe2\x9c\x93 %d", i, i) > 0);
    st->envp[N_ENVP] = NULL;
    s->id = 1234567890123LL;
    s->gen = 77;
    s->name = "app-ünï✓";
    s->sock_path = "/run/drover/sup-1234.sock";
    s->file = "/usr/bin/node";
    s->argv = st->argv;
    s->envp = st->envp;
    s->cwd = "/srv/my app/with=equals/ü";
    s->set_ids = 1;
    s->uid = 1001;
    s->gid = 1002;
    s->user = "wwwü";
    s->autorestart = 1;
    s->min_uptime_ms = 1501;
    s->max_restarts = 23;
    s->restart_delay_ms = 4502;
    s->exp_backoff_ms = 125;
    for (int i = 0; i < SPEC_MAX_STOP_CODES; i++)
        s->stop_exit_codes[i] = i == 0 ? INT_MIN : i == 1 ? INT_MAX : 100 + i * 3;
    s->n_stop_exit_codes = SPEC_MAX_STOP_CODES;
    s->drain_timeout_ms = 4321;
    s->kill_signal = 15;
    s->kill_timeout_ms = 7777;
    s->shutdown_with_message = 1;
    s->restarts = 99;
    s->created_at = 1764000000123LL;
    s->start_now = 1;
    s->n_listen_fds = SPEC_MAX_LISTEN_FDS;
    s->listen_fdnames = "http:https:metrics";
    s->pass_listen_fds = 1;
    s->preload = "/usr/lib/drover/libdrover-preload.so";
    s->readiness = READY_EXPLICIT;
    s->listen_timeout_ms = 8123;
    s->node_ipc = 1;
    s->notify_path = "/run/drover/notify=1 ✓.sock";
    s->cgroup = "/sys/fs/cgroup/drover/app-1";
    s->log_out = "/var/log/app/out=1.log";
    s->log_err = "/var/log/app/err ✓.log";
    s->log_combined = "/var/log/app/all.log";
    s->log_time = 1;
    s->log_date_format = "%Y-%m-%d %H:%M:%S = ✓";
    s->log_json = 1;
    s->log_max_size = UINT64_MAX;
    s->log_retain = 9;
    s->log_compress = 1;
    s->log_rotate_interval_ms = 86400000;
}

static void free_storage(struct spec_storage *st)
{
    for (int i = 0; i < N_ARGV; i++)
        free(st->argv[i]);
    for (int i = 0; i < N_ENVP; i++)
        free(st->envp[i]);
}

static void assert_strv_equal(char *const *a, char *const *b)
{
    size_t i = 0;
    for (; a[i] && b[i]; i++)
        assert_string_equal(a[i], b[i]);
    assert_null(a[i]);
    assert_null(b[i]);
}

static void assert_spec_equal(const struct inst_spec *a, const struct inst_spec *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->gen, b->gen);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->sock_path, b->sock_path);
    assert_string_equal(a->file, b->file);
    assert_strv_equal(a->argv, b->argv);
    assert_strv_equal(a->envp, b->envp);
    assert_string_equal(a->cwd, b->cwd);
    assert_int_equal(a->set_ids, b->set_ids);
    assert_int_equal(a->uid, b->uid);
    assert_int_equal(a->gid, b->gid);
    assert_string_equal(a->user, b->user);
    assert_int_equal(a->autorestart, b->autorestart);
    assert_int_equal(a->min_uptime_ms, b->min_uptime_ms);
    assert_int_equal(a->max_restarts, b->max_restarts);
    assert_int_equal(a->restart_delay_ms, b->restart_delay_ms);
    assert_int_equal(a->exp_backoff_ms, b->exp_backoff_ms);
    assert_int_equal(a->n_stop_exit_codes, b->n_stop_exit_codes);
    for (int i = 0; i < a->n_stop_exit_codes; i++)
        assert_int_equal(a->stop_exit_codes[i], b->stop_exit_codes[i]);
    assert_int_equal(a->kill_signal, b->kill_signal);
    assert_int_equal(a->kill_timeout_ms, b->kill_timeout_ms);
    assert_int_equal(a->drain_timeout_ms, b->drain_timeout_ms);
    assert_int_equal(a->shutdown_with_message, b->shutdown_with_message);
    assert_int_equal(a->restarts, b->restarts);
    assert_int_equal(a->created_at, b->created_at);
    assert_int_equal(a->start_now, b->start_now);
    assert_int_equal(a->n_listen_fds, b->n_listen_fds);
    assert_string_equal(a->listen_fdnames, b->listen_fdnames);
    assert_int_equal(a->pass_listen_fds, b->pass_listen_fds);
    assert_string_equal(a->preload, b->preload);
    assert_int_equal(a->readiness, b->readiness);
    assert_int_equal(a->listen_timeout_ms, b->listen_timeout_ms);
    assert_int_equal(a->node_ipc, b->node_ipc);
    assert_string_equal(a->notify_path, b->notify_path);
    assert_string_equal(a->cgroup, b->cgroup);
    assert_string_equal(a->log_out, b->log_out);
    assert_string_equal(a->log_err, b->log_err);
    assert_string_equal(a->log_combined, b->log_combined);
    assert_int_equal(a->log_time, b->log_time);
    assert_string_equal(a->log_date_format, b->log_date_format);
    assert_int_equal(a->log_json, b->log_json);
    assert_true(a->log_max_size == b->log_max_size);
    assert_int_equal(a->log_retain, b->log_retain);
    assert_int_equal(a->log_compress, b->log_compress);
    assert_int_equal(a->log_rotate_interval_ms, b->log_rotate_interval_ms);
}

/* The packed records of the full spec. */
static char *packed_full_spec(size_t *len)
{
    struct inst_spec s;
    struct spec_storage st;
    full_spec(&s, &st);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(spec_pack(&s, &sb), 0);
    free_storage(&st);
    return strbuf_detach(&sb, len);
}

static void test_spec_roundtrip(void **state)
{
    (void)state;
    struct inst_spec s, out;
    struct spec_storage st;
    full_spec(&s, &st);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(spec_pack(&s, &sb), 0);
    size_t len;
    char *payload = strbuf_detach(&sb, &len);
    const char *bad = "unset";
    int r = spec_unpack(payload, len, &out, &bad);
    if (r != 0)
        fail_msg("spec_unpack: %d, bad '%s'", r, bad ? bad : "(null)");
    assert_spec_equal(&s, &out);
    /* the strings live in the payload the spec now owns */
    assert_true(out.name >= out.payload && out.name < out.payload + len);
    spec_free(&out);
    free_storage(&st);
}

/* Optional strings and empty lists stay absent. */
static void test_spec_roundtrip_minimal(void **state)
{
    (void)state;
    static char *argv[] = {"x", NULL};
    struct inst_spec s = {
        .name = "a", .sock_path = "/s", .file = "/x", .argv = argv, .kill_signal = 2};
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(spec_pack(&s, &sb), 0);
    size_t len;
    char *payload = strbuf_detach(&sb, &len);
    struct inst_spec out;
    const char *bad = NULL;
    assert_int_equal(spec_unpack(payload, len, &out, &bad), 0);
    assert_null(out.cwd);
    assert_null(out.user);
    assert_null(out.cgroup);
    assert_null(out.notify_path);
    assert_null(out.log_date_format);
    assert_non_null(out.envp);
    assert_null(out.envp[0]);
    assert_int_equal(out.n_stop_exit_codes, 0);
    assert_string_equal(out.argv[0], "x");
    assert_null(out.argv[1]);
    spec_free(&out);
}

/* Unpacks the full spec with key's records replaced by value (dropped when
 * NULL); returns spec_unpack's result and the key it named. */
static int spec_with(const char *key, const char *value, const char **bad)
{
    size_t len, elen;
    char *full = packed_full_spec(&len);
    char *edited = edit_records(full, len, key, value, 1, &elen);
    free(full);
    struct inst_spec out;
    *bad = "unset";
    int r = spec_unpack(edited, elen, &out, bad);
    spec_free(&out);
    return r;
}

static void expect_spec_refused(const char *key, const char *value, int want, const char *named)
{
    const char *bad;
    int r = spec_with(key, value, &bad);
    if (r != want || !bad || strcmp(bad, named) != 0)
        fail_msg("%s=%s: got %d naming '%s', expected %d naming '%s'", key,
                 value ? value : "(missing)", r, bad ? bad : "(null)", want, named);
}

static void expect_spec_accepted(const char *key, const char *value)
{
    const char *bad;
    int r = spec_with(key, value, &bad);
    if (r != 0)
        fail_msg("%s=%s: refused with %d naming '%s'", key, value, r, bad ? bad : "(null)");
}

/* The scalar fields (spec.h): every one is required. */
static const char *const spec_scalars[] = {
    "id",
    "gen",
    "set_ids",
    "uid",
    "gid",
    "autorestart",
    "min_uptime_ms",
    "max_restarts",
    "restart_delay_ms",
    "exp_backoff_ms",
    "drain_timeout_ms",
    "kill_signal",
    "kill_timeout_ms",
    "shutdown_with_message",
    "restarts",
    "created_at",
    "start_now",
    "n_listen_fds",
    "pass_listen_fds",
    "readiness",
    "listen_timeout_ms",
    "node_ipc",
    "log_time",
    "log_json",
    "log_max_size",
    "log_retain",
    "log_compress",
    "log_rotate_interval_ms",
};

static void test_spec_missing_scalar(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(spec_scalars) / sizeof(spec_scalars[0]); i++)
        expect_spec_refused(spec_scalars[i], NULL, -EPROTO, spec_scalars[i]);
}

/* What the supervisor cannot run without. */
static void test_spec_missing_required(void **state)
{
    (void)state;
    expect_spec_refused("name", NULL, -EINVAL, "name");
    expect_spec_refused("name", "", -EINVAL, "name");
    expect_spec_refused("sock_path", NULL, -EINVAL, "sock_path");
    expect_spec_refused("file", NULL, -EINVAL, "file");
    expect_spec_refused("file", "", -EINVAL, "file");
    expect_spec_refused("argv", NULL, -EINVAL, "argv");
    /* optional ones */
    expect_spec_accepted("cwd", NULL);
    expect_spec_accepted("envp", NULL);
    expect_spec_accepted("stop_exit_codes", NULL);
    expect_spec_accepted("cgroup", NULL);
}

static void test_spec_malformed_integers(void **state)
{
    (void)state;
    static const char *const bad_ints[] = {
        "",
        "12x",
        "abc",
        "0x10",
        "1e3",
        "1.5",
        "- 1",
        "--1",
        "99999999999999999999",
        "-99999999999999999999",
    };
    static const char *const i64_keys[] = {"id", "created_at", "kill_timeout_ms"};
    static const char *const int_keys[] = {"kill_signal", "uid", "readiness", "n_listen_fds"};
    for (size_t i = 0; i < sizeof(bad_ints) / sizeof(bad_ints[0]); i++) {
        for (size_t k = 0; k < sizeof(i64_keys) / sizeof(i64_keys[0]); k++)
            expect_spec_refused(i64_keys[k], bad_ints[i], -EPROTO, i64_keys[k]);
        for (size_t k = 0; k < sizeof(int_keys) / sizeof(int_keys[0]); k++)
            expect_spec_refused(int_keys[k], bad_ints[i], -EPROTO, int_keys[k]);
        expect_spec_refused("log_max_size", bad_ints[i], -EPROTO, "log_max_size");
        expect_spec_refused("stop_exit_codes", bad_ints[i], -EPROTO, "stop_exit_codes");
    }
    /* an int field holds 32 bits */
    expect_spec_refused("kill_signal", "4294967311", -EPROTO, "kill_signal");
    expect_spec_refused("uid", "2147483648", -EPROTO, "uid");
    expect_spec_refused("stop_exit_codes", "-2147483649", -EPROTO, "stop_exit_codes");
    /* an unsigned one has no sign */
    expect_spec_refused("log_max_size", "-1", -EPROTO, "log_max_size");
    expect_spec_refused("log_max_size", " -1", -EPROTO, "log_max_size");
}

/* More stop codes than the array holds. */
static void test_spec_too_many_stop_codes(void **state)
{
    (void)state;
    size_t len;
    char *full = packed_full_spec(&len);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(strbuf_append(&sb, full, len), 0);
    assert_int_equal(kv_add(&sb, "stop_exit_codes", "7"), 0);
    free(full);
    char *payload = strbuf_detach(&sb, &len);
    struct inst_spec out;
    const char *bad = NULL;
    assert_int_equal(spec_unpack(payload, len, &out, &bad), -EPROTO);
    assert_string_equal(bad, "stop_exit_codes");
    spec_free(&out);
}

static void test_spec_ranges(void **state)
{
    (void)state;
    expect_spec_refused("kill_signal", "0", -EINVAL, "kill_signal");
    expect_spec_refused("kill_signal", "-15", -EINVAL, "kill_signal");
    expect_spec_refused("kill_signal", "65", -EINVAL, "kill_signal");
    expect_spec_accepted("kill_signal", "1");
    expect_spec_accepted("kill_signal", "64");
    expect_spec_refused("n_listen_fds", "-1", -EINVAL, "n_listen_fds");
    expect_spec_refused("n_listen_fds", "17", -EINVAL, "n_listen_fds");
    expect_spec_accepted("n_listen_fds", "0");
    expect_spec_refused("readiness", "-1", -EINVAL, "readiness");
    char past[16];
    snprintf(past, sizeof(past), "%d", READY_EXPLICIT + 1);
    expect_spec_refused("readiness", past, -EINVAL, "readiness");
    expect_spec_accepted("readiness", "0");
    expect_spec_refused("id", "-1", -EINVAL, "id");
    expect_spec_refused("gen", "-1", -EINVAL, "gen");
    expect_spec_accepted("id", "0");
}

/* A negative duration or count is refused, naming its key (spec.h: "*bad
 * naming the key"). */
static void test_spec_negative_durations(void **state)
{
    (void)state;
    static const char *const keys[] = {"kill_timeout_ms",  "listen_timeout_ms", "min_uptime_ms",
                                       "restart_delay_ms", "exp_backoff_ms",    "log_retain",
                                       "drain_timeout_ms"};
    int problems = 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *bad;
        int r = spec_with(keys[i], "-1", &bad);
        if (r != -EINVAL || !bad || strcmp(bad, keys[i]) != 0) {
            print_error("%s=-1: got %d naming '%s', expected %d naming '%s'\n", keys[i], r,
                        bad ? bad : "(null)", -EINVAL, keys[i]);
            problems++;
        }
        expect_spec_accepted(keys[i], "0");
    }
    if (problems)
        fail_msg("%d negative value(s) refused without naming the key", problems);
}

static void test_spec_not_kv(void **state)
{
    (void)state;
    char *payload = strdup("no equals sign");
    struct inst_spec out;
    const char *bad = NULL;
    assert_int_equal(spec_unpack(payload, strlen(payload) + 1, &out, &bad), -EPROTO);
    assert_string_equal(bad, "payload");
    spec_free(&out);
}

/* --- the snapshot ----------------------------------------------------------- */

static void full_snapshot(struct inst_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    s->id = 4000000000LL;
    s->gen = 12;
    /* 128 bytes: the whole buffer but the NUL */
    for (int i = 0; i < 42; i++)
        memcpy(s->name + i * 3, "\xe2\x9c\x93", 3);
    memcpy(s->name + 126, "ab", 2);
    s->status = STATUS_WAITING;
    s->sup_pid = 4321;
    s->pid = 98765;
    s->pid_start = 18446744073709551000ULL;
    s->run = 33;
    s->ready = 1;
    s->serving = 1;
    s->restarts = 1234;
    s->unstable_restarts = 5;
    s->started_at = 1764000000001LL;
    s->created_at = 1763000000002LL;
    s->exit_code = -1;
    s->exit_signal = 9;
    s->last_exit_at = 1764000000003LL;
    snprintf(s->reason, sizeof(s->reason), "exited with signal SIGKILL; key=value ünï ✓");
    snprintf(s->cgroup, sizeof(s->cgroup), "/sys/fs/cgroup/drover/x=1");
    s->log_lines = 111;
    s->log_bytes = 222222222222ULL;
    s->log_dropped = 333;
    s->log_rotations = 444;
    s->listen_fds = 3;
    snprintf(s->notify_status, sizeof(s->notify_status), "Serving = 42 req/s ✓");
    snprintf(s->ipc_msgs[0], sizeof(s->ipc_msgs[0]), "{\"a\":1}");
    snprintf(s->ipc_msgs[1], sizeof(s->ipc_msgs[1]), "\"ready\"");
    snprintf(s->ipc_msgs[2], sizeof(s->ipc_msgs[2]), "{\"k\":\"v=w ✓\"}");
    s->n_ipc_msgs = 3;
}

static int unpack_snapshot(const char *buf, size_t len, struct inst_snapshot *out, const char **bad)
{
    struct kv_msg m;
    assert_int_equal(kv_parse(buf, len, &m), 0);
    *bad = "unset";
    return snapshot_unpack(&m, out, bad);
}

static void test_snapshot_roundtrip(void **state)
{
    (void)state;
    struct inst_snapshot s, out;
    full_snapshot(&s);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(snapshot_pack(&s, &sb), 0);
    const char *bad;
    memset(&out, 0x5a, sizeof(out));
    int r = unpack_snapshot(sb.buf, sb.len, &out, &bad);
    if (r != 0)
        fail_msg("snapshot_unpack: %d, bad '%s'", r, bad ? bad : "(null)");
    /* every byte: the padding and the unused parts of the buffers are
     * zeroed on both sides */
    assert_memory_equal(&s, &out, sizeof(s));
    strbuf_free(&sb);
}

/* Supervisors keep more messages than the snapshot: the newest are kept. */
static void test_snapshot_ipc_newest_kept(void **state)
{
    (void)state;
    struct inst_snapshot s, out;
    full_snapshot(&s);
    s.n_ipc_msgs = 0;
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(snapshot_pack(&s, &sb), 0);
    for (int i = 1; i <= SNAPSHOT_IPC_KEEP + 2; i++) {
        char msg[32];
        snprintf(msg, sizeof(msg), "message %d", i);
        assert_int_equal(kv_add(&sb, "ipc_msgs", msg), 0);
    }
    const char *bad;
    assert_int_equal(unpack_snapshot(sb.buf, sb.len, &out, &bad), 0);
    assert_int_equal(out.n_ipc_msgs, SNAPSHOT_IPC_KEEP);
    for (int i = 0; i < SNAPSHOT_IPC_KEEP; i++) {
        char msg[32];
        snprintf(msg, sizeof(msg), "message %d", i + 3);
        assert_string_equal(out.ipc_msgs[i], msg);
    }
    strbuf_free(&sb);
}

/* A text longer than its buffer is cut, never in the middle of a UTF-8
 * sequence. */
static void test_snapshot_cut_utf8(void **state)
{
    (void)state;
    struct inst_snapshot s, out;
    full_snapshot(&s);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(snapshot_pack(&s, &sb), 0);
    char name[200];
    memset(name, 'a', 127);
    memcpy(name + 127, "\xc3\xa9zz", 5); /* 'é' would end at byte 129 */
    size_t len;
    char *edited = edit_records(sb.buf, sb.len, "name", name, 1, &len);
    const char *bad;
    assert_int_equal(unpack_snapshot(edited, len, &out, &bad), 0);
    assert_int_equal(strlen(out.name), 127);
    assert_memory_equal(out.name, name, 127);
    free(edited);
    strbuf_free(&sb);
}

static const char *const snapshot_scalars[] = {
    "id",
    "gen",
    "status",
    "sup_pid",
    "pid",
    "pid_start",
    "run",
    "ready",
    "serving",
    "restarts",
    "unstable_restarts",
    "started_at",
    "created_at",
    "exit_code",
    "exit_signal",
    "last_exit_at",
    "log_lines",
    "log_bytes",
    "log_dropped",
    "log_rotations",
    "listen_fds",
};

static int snapshot_with(const char *key, const char *value, const char **bad)
{
    struct inst_snapshot s, out;
    full_snapshot(&s);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(snapshot_pack(&s, &sb), 0);
    size_t len;
    char *edited = edit_records(sb.buf, sb.len, key, value, 1, &len);
    int r = unpack_snapshot(edited, len, &out, bad);
    free(edited);
    strbuf_free(&sb);
    return r;
}

static void expect_snapshot_refused(const char *key, const char *value)
{
    const char *bad;
    int r = snapshot_with(key, value, &bad);
    if (r != -EPROTO || !bad || strcmp(bad, key) != 0)
        fail_msg("%s=%s: got %d naming '%s', expected -EPROTO naming it", key,
                 value ? value : "(missing)", r, bad ? bad : "(null)");
}

static void test_snapshot_missing_and_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(snapshot_scalars) / sizeof(snapshot_scalars[0]); i++) {
        expect_snapshot_refused(snapshot_scalars[i], NULL);
        expect_snapshot_refused(snapshot_scalars[i], "");
        expect_snapshot_refused(snapshot_scalars[i], "7up");
        expect_snapshot_refused(snapshot_scalars[i], "99999999999999999999");
    }
    expect_snapshot_refused("pid_start", "-5");
    expect_snapshot_refused("pid", "2147483648");
    /* a status the enum does not have */
    expect_snapshot_refused("status", "-1");
    char count[16];
    snprintf(count, sizeof(count), "%d", STATUS__COUNT);
    expect_snapshot_refused("status", count);
    /* texts are optional */
    const char *bad;
    assert_int_equal(snapshot_with("reason", NULL, &bad), 0);
    assert_int_equal(snapshot_with("ipc_msgs", NULL, &bad), 0);
    assert_int_equal(snapshot_with("name", NULL, &bad), 0);
}

/* --- statuses --------------------------------------------------------------- */

static void test_status_names(void **state)
{
    (void)state;
    static const char *const pm2_words[] = {"online",    "stopping", "stopped",
                                            "launching", "errored",  "waiting restart"};
    for (int s = 0; s < STATUS__COUNT; s++) {
        const char *name = status_name(s);
        assert_string_not_equal(name, "unknown");
        assert_int_equal(status_from_name(name), s);
        for (int t = 0; t < s; t++)
            assert_string_not_equal(name, status_name(t));
        const char *pm2 = status_pm2_name(s);
        int is_pm2 = 0;
        for (size_t k = 0; k < sizeof(pm2_words) / sizeof(pm2_words[0]); k++)
            is_pm2 |= strcmp(pm2, pm2_words[k]) == 0;
        if (!is_pm2)
            fail_msg("status %s: '%s' is not one of PM2's words", name, pm2);
    }
    /* status.h's mapping of drover's own statuses */
    assert_string_equal(status_pm2_name(STATUS_ADOPTING), "launching");
    assert_string_equal(status_pm2_name(STATUS_LOST), "waiting restart");
    assert_string_equal(status_pm2_name(STATUS_EXITING), "stopping");
    assert_string_equal(status_name(STATUS_WAITING), "waiting restart");
    assert_string_equal(status_name(STATUS_ONLINE), "online");
    /* out of range */
    assert_string_equal(status_name(STATUS__COUNT), "unknown");
    assert_string_equal(status_name((enum inst_status) - 1), "unknown");
    assert_int_equal(status_from_name("unknown"), -1);
    assert_int_equal(status_from_name("Online"), -1);
    assert_int_equal(status_from_name(""), -1);
    assert_int_equal(status_from_name(NULL), -1);
}

static void test_status_predicates(void **state)
{
    (void)state;
    for (int s = 0; s < STATUS__COUNT; s++) {
        int process = s == STATUS_LAUNCHING || s == STATUS_ONLINE || s == STATUS_STOPPING;
        int rest = s == STATUS_STOPPED || s == STATUS_ERRORED;
        assert_int_equal(!!status_has_process(s), process);
        assert_int_equal(!!status_is_at_rest(s), rest);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_roundtrip),
        cmocka_unit_test(test_spec_roundtrip_minimal),
        cmocka_unit_test(test_spec_missing_scalar),
        cmocka_unit_test(test_spec_missing_required),
        cmocka_unit_test(test_spec_malformed_integers),
        cmocka_unit_test(test_spec_too_many_stop_codes),
        cmocka_unit_test(test_spec_ranges),
        cmocka_unit_test(test_spec_negative_durations),
        cmocka_unit_test(test_spec_not_kv),
        cmocka_unit_test(test_snapshot_roundtrip),
        cmocka_unit_test(test_snapshot_ipc_newest_kept),
        cmocka_unit_test(test_snapshot_cut_utf8),
        cmocka_unit_test(test_snapshot_missing_and_malformed),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_status_predicates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
