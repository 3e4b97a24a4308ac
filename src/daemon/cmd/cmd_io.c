/* cmd_io.c - commands that reach an app through its supervisor: send (a
 * line to the app's stdin, PM2's `send`) and env (the environment the
 * instance runs with, PM2's `env`).
 *
 *   {"cmd": "send", "targets": [...], "data": "<text>"}
 *       -> {"sent": [ids], "errors": [...]}; ok false when nothing was sent
 *   {"cmd": "env", "targets": [...]}
 *       -> {"envs": [{"id": N, "name": "...", "env": {"K": "V", ...}}, ...]}
 *
 * Each sends its own request to every target's supervisor, then waits with
 * an op holding one "status" REQUEST task per instance: a link answers in
 * order, so the answer to our request arrives before the status answer
 * that ends the task. Our answers are recorded in op->extra, the op found
 * again by its seq (an op that timed out or ended is gone: the late answer
 * is dropped). The op's deadline and the CLI leaving are the engine's. */
#include "base/utf8.h"
#include "daemon/cmd/commands.h"
#include "daemon/cmd/targets.h"
#include "daemon/instances/suplink.h"
#include "daemon/ops/ops.h"
#include "daemon/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct op *find_op(struct daemon *d, uint64_t seq)
{
    for (struct op *op = d->ops; op; op = op->next)
        if (op->seq == seq)
            return op;
    return NULL;
}

static void add_error(struct op *op, int64_t id, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Records an error for instance id (once per instance). */
static void add_error(struct op *op, int64_t id, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_sanitize(msg);
    json_array_append_new(json_object_get(op->extra, "errors"), json_string(msg));
    json_array_append_new(json_object_get(op->extra, "answered"), json_integer(id));
}

static int answered(struct op *op, int64_t id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(op->extra, "answered"), i,
                       v) if (json_integer_value(v) == id) return 1;
    return 0;
}

/* The supervisor's error text in a reply that says ok=0 (reply NULL: the
 * link dropped before the answer). */
static const char *reply_error(const struct kv_msg *reply)
{
    const char *e = reply ? kv_get(reply, "error") : NULL;
    if (!reply)
        return "its supervisor went away";
    if (e && strcmp(e, "unknown command") == 0)
        return "its supervisor predates this command (restart the app once)";
    return e ? e : "failed";
}

/* An op with errors and answered lists, or NULL after replying. */
static struct op *io_op_new(struct daemon *d, struct client *c, op_done_cb done)
{
    struct op *op = op_new(d, c, done, NULL);
    if (op && (json_object_set_new(op->extra, "errors", json_array()) < 0 ||
               json_object_set_new(op->extra, "answered", json_array()) < 0)) {
        op_discard(op);
        op = NULL;
    }
    if (!op)
        server_reply_error_code(c, -ENOMEM, "out of memory");
    return op;
}

/* Adds what the op's tasks saw (a supervisor that never answered) to the
 * errors, removes the bookkeeping, and sets ok=false when nothing worked. */
static json_t *finish_reply(struct op *op, const char *results_key)
{
    for (size_t i = 0; i < op->n_tasks; i++) {
        const struct task *t = &op->tasks[i];
        if ((t->result == TASK_FAILED || t->result == TASK_TIMED_OUT) && !answered(op, t->id))
            add_error(op, t->id, "%s", t->message[0] ? t->message : "no answer");
    }
    json_t *reply = json_deep_copy(op->extra);
    json_object_del(reply, "answered");
    json_t *errors = json_object_get(reply, "errors");
    if (json_array_size(json_object_get(reply, results_key)) == 0 && json_array_size(errors) > 0) {
        json_object_set_new(reply, "ok", json_false());
        json_object_set(reply, "error", json_array_get(errors, 0));
        json_object_set_new(reply, "code", json_string("EIO"));
    }
    return reply;
}

/* Sends cmd to each instance (those without a running supervisor get an
 * error), adds the status tasks, runs the op. */
static void send_and_wait(struct op *op, struct inst **insts, size_t n, const char *cmd,
                          const char *key, const char *value, int need_running, suplink_reply_cb cb)
{
    for (size_t i = 0; i < n; i++) {
        struct inst *in = insts[i];
        if (!in->link || in->link_state != LINK_UP) {
            add_error(op, in->id, "%s (id %lld) has no supervisor running", in->app->name,
                      (long long)in->id);
            continue;
        }
        if (need_running && in->snap.pid <= 0) {
            add_error(op, in->id, "%s (id %lld) is not running", in->app->name, (long long)in->id);
            continue;
        }
        if (suplink_request(in->link, cmd, key, value, cb, (void *)(uintptr_t)op->seq) < 0 ||
            op_add_request(op, in, "status") < 0) {
            add_error(op, in->id, "%s (id %lld): cannot reach its supervisor", in->app->name,
                      (long long)in->id);
        }
    }
    op_run(op);
}

/* --- send ------------------------------------------------------------------ */

static void on_stdin_reply(struct daemon *d, struct suplink *l, struct inst *inst,
                           const struct kv_msg *reply, int ok, int *fds, unsigned n_fds, void *data)
{
    (void)l;
    (void)fds;
    (void)n_fds;
    struct op *op = find_op(d, (uint64_t)(uintptr_t)data);
    if (!op || !inst)
        return;
    if (ok) {
        json_array_append_new(json_object_get(op->extra, "sent"), json_integer(inst->id));
        json_array_append_new(json_object_get(op->extra, "answered"), json_integer(inst->id));
    } else {
        add_error(op, inst->id, "%s (id %lld): %s", inst->app->name, (long long)inst->id,
                  reply_error(reply));
    }
}

static void send_done(struct daemon *d, struct op *op)
{
    (void)d;
    if (op->client)
        server_reply(op->client, finish_reply(op, "sent"));
}

void cmd_send(struct daemon *d, struct client *c, json_t *req)
{
    json_t *data = json_object_get(req, "data");
    if (!json_is_string(data) || json_string_length(data) == 0 ||
        memchr(json_string_value(data), '\0', json_string_length(data))) {
        server_reply_error(c, "send needs the text to write (no NUL bytes)");
        return;
    }
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    struct op *op = io_op_new(d, c, send_done);
    if (op && json_object_set_new(op->extra, "sent", json_array()) < 0) {
        op_discard(op);
        op = NULL;
        server_reply_error_code(c, -ENOMEM, "out of memory");
    }
    if (op)
        send_and_wait(op, insts, n, "stdin", "data", json_string_value(data), 1, on_stdin_reply);
    free(insts);
}

/* --- env ------------------------------------------------------------------- */

/* The entry of instance id in the reply's envs. */
static json_t *env_entry(struct op *op, int64_t id)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(op->extra, "envs"), i,
                       e) if (json_integer_value(json_object_get(e, "id")) == id) return e;
    return NULL;
}

/* The spec's envp ("K=V" records) as an object; bytes that are not UTF-8
 * become '?' (JSON carries text). */
static json_t *env_object(const struct kv_msg *spec)
{
    json_t *env = json_object();
    size_t pos = 0;
    const char *kvp;
    while (env && (kvp = kv_next(spec, "envp", &pos))) {
        char *copy = strdup(kvp);
        if (!copy)
            break;
        utf8_sanitize(copy);
        char *eq = strchr(copy, '=');
        if (eq && eq != copy) {
            *eq = '\0';
            json_object_set_new(env, copy, json_string(eq + 1));
        }
        free(copy);
    }
    return env;
}

static void on_spec_reply(struct daemon *d, struct suplink *l, struct inst *inst,
                          const struct kv_msg *reply, int ok, int *fds, unsigned n_fds, void *data)
{
    (void)l;
    (void)fds;
    (void)n_fds;
    struct op *op = find_op(d, (uint64_t)(uintptr_t)data);
    json_t *entry = op && inst ? env_entry(op, inst->id) : NULL;
    if (!entry)
        return;
    if (ok) {
        json_object_set_new(entry, "env", env_object(reply));
        json_array_append_new(json_object_get(op->extra, "answered"), json_integer(inst->id));
    } else {
        add_error(op, inst->id, "%s (id %lld): %s", inst->app->name, (long long)inst->id,
                  reply_error(reply));
    }
}

static void env_done(struct daemon *d, struct op *op)
{
    (void)d;
    if (!op->client)
        return;
    /* instances whose supervisor did not tell are left out */
    json_t *envs = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(op->extra, "envs"), i,
                       e) if (json_is_object(json_object_get(e, "env"))) json_array_append(envs, e);
    json_object_set_new(op->extra, "envs", envs);
    server_reply(op->client, finish_reply(op, "envs"));
}

void cmd_env(struct daemon *d, struct client *c, json_t *req)
{
    struct inst **insts;
    size_t n;
    if (targets_resolve_or_reply(d, c, req, &insts, &n) < 0)
        return;
    struct op *op = io_op_new(d, c, env_done);
    json_t *envs = op ? json_array() : NULL;
    for (size_t i = 0; envs && i < n; i++)
        json_array_append_new(envs, json_pack("{s:I, s:s, s:n}", "id", (json_int_t)insts[i]->id,
                                              "name", insts[i]->app->name, "env"));
    if (op && json_object_set_new(op->extra, "envs", envs) < 0) {
        op_discard(op);
        op = NULL;
        server_reply_error_code(c, -ENOMEM, "out of memory");
    }
    if (op)
        send_and_wait(op, insts, n, "spec", NULL, NULL, 0, on_spec_reply);
    free(insts);
}
