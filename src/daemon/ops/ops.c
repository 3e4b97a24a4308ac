/* ops.c - the one operation engine (ops.h). */
#include "daemon/ops/ops.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/pidfd.h"
#include "base/timeutil.h"
#include "daemon/instances/lifecycle.h"
#include "daemon/instances/listeners.h"
#include "daemon/instances/suplink.h"
#include "daemon/state/registry.h"
#include "loop/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GRACE_MS 5000
#define REQUEST_TIMEOUT_MS 10000

/* Phases of RELOAD and SWAP. */
enum {
    P_BEGIN,
    P_RESTARTING, /* RELOAD without sockets: a plain restart */
    P_STARTING,   /* RELOAD: the replacement runs, not ready yet */
    P_DRAINING,   /* RELOAD: it took over; the old supervisor stops */
    P_STOPPING,   /* SWAP: the run on the old supervisor stops */
    P_SETTLING,   /* SWAP: the new supervisor's run comes up */
};

/* Stopping a run: its drain, then kill_timeout, then the SIGKILL's effect. */
static int64_t stop_budget(const struct inst *in)
{
    return in->app->cfg.drain_timeout_ms + in->app->cfg.kill_timeout_ms + GRACE_MS;
}

/* A run stopped (a restart), then the next one ready. */
static int64_t settle_budget(const struct inst *in)
{
    return in->app->cfg.listen_timeout_ms + stop_budget(in);
}

static void finish(struct task *t, enum task_result r, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void finish(struct task *t, enum task_result r, const char *fmt, ...)
{
    t->result = r;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->message, sizeof(t->message), fmt, ap);
        va_end(ap);
    }
}

/* Where the instance stands: its supervisor generation and run. */
static void mark(struct task *t, const struct inst *in)
{
    t->gen0 = in->snap.gen;
    t->run0 = in->snap.run;
}

static int came_up_since(const struct task *t, const struct inst *in)
{
    return in->link_state == LINK_UP &&
           (in->snap.gen > t->gen0 || (in->snap.gen == t->gen0 && in->snap.run > t->run0));
}

/* START, RESTART, SETTLE: has the instance settled? */
static void check_settled(struct task *t, const struct inst *in)
{
    enum inst_status st = inst_status(in);
    if (st == STATUS_ERRORED && (came_up_since(t, in) || in->link_state != LINK_UP)) {
        finish(t, TASK_FAILED, "%s (id %lld) errored: %s", in->app->name, (long long)in->id,
               in->snap.reason[0] ? in->snap.reason : "unknown reason");
        return;
    }
    if (!in->want_running && (st == STATUS_STOPPED || in->link_state == LINK_NONE)) {
        finish(t, TASK_OK, NULL);
        return;
    }
    if (!came_up_since(t, in))
        return;
    if (st == STATUS_ONLINE && in->snap.ready) {
        /* online; an app that serves is waited for until it does */
        if (in->snap.serving || !app_expects_serving(in->app))
            finish(t, TASK_OK, NULL);
        return;
    }
    if (st == STATUS_WAITING || st == STATUS_STOPPED || st == STATUS_ERRORED) {
        /* the run ended: a failure when it had to signal or serve first
         * (it did not, or we would have finished above); an app online at
         * spawn did start, as PM2 reports it */
        if (st == STATUS_ERRORED || app_needs_ready(in->app))
            finish(t, TASK_FAILED, "%s (id %lld) exited before it was ready: %s", in->app->name,
                   (long long)in->id, in->snap.reason[0] ? in->snap.reason : "unknown reason");
        else
            finish(t, TASK_OK, NULL);
    }
}

static void check_stopped(struct task *t, const struct inst *in)
{
    enum inst_status st = inst_status(in);
    if (!in->link || status_is_at_rest(st))
        finish(t, TASK_OK, NULL);
}

/* --- RELOAD ---------------------------------------------------------------- */

static void on_old_exit(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    (void)loop;
    (void)fd;
    (void)events;
    ops_poll(data);
}

/* The replacement is ready: it becomes the instance's supervisor, the old
 * one stops its app and exits. */
static void take_over(struct daemon *d, struct task *t, struct inst *in)
{
    struct suplink *old = lifecycle_promote(d, in, t->repl);
    log_info("%s:%lld: replaced by supervisor %d (pid %d)", in->app->name, (long long)in->id,
             (int)in->snap.sup_pid, (int)in->snap.pid);
    t->repl = NULL;
    t->phase = P_DRAINING;
    t->replaced = 1;
    t->deadline = mono_ms() + stop_budget(in);
    if (old) {
        pid_t pid = suplink_pid(old);
        t->old_pidfd = pid > 0 ? pidfd_open_cloexec(pid) : -1;
        if (t->old_pidfd >= 0 && ev_io_add(d->loop, t->old_pidfd, EV_READ, on_old_exit, d) < 0)
            ev_io_close(d->loop, &t->old_pidfd);
        suplink_request(old, "delete", NULL, NULL, NULL, NULL);
    }
    daemon_persist(d);
}

static void give_up_replacement(struct daemon *d, struct task *t, struct inst *in, const char *why)
{
    finish(t, TASK_FAILED,
           "reload of %s aborted at instance %lld: %s; the old instance keeps serving",
           in->app->name, (long long)in->id, why);
    lifecycle_dismiss_replacement(d, in, t->repl);
    t->repl = NULL;
}

static void advance_reload(struct daemon *d, struct task *t, struct inst *in)
{
    switch (t->phase) {
    case P_RESTARTING:
        check_settled(t, in);
        return;
    case P_STARTING: {
        if (in->next_link != t->repl) {
            t->repl = NULL;
            finish(t, TASK_FAILED,
                   "reload of %s aborted at instance %lld: the replacement exited before it was "
                   "ready; the old instance keeps serving",
                   in->app->name, (long long)in->id);
            return;
        }
        const struct inst_snapshot *s = suplink_snap(t->repl);
        if (s->status == STATUS_ONLINE && s->ready &&
            (s->serving || !app_expects_serving(in->app))) {
            take_over(d, t, in);
            return;
        }
        if (s->status == STATUS_ERRORED || s->status == STATUS_STOPPED ||
            s->status == STATUS_WAITING || s->last_exit_at)
            give_up_replacement(d, t, in, s->reason[0] ? s->reason : "the replacement exited");
        return;
    }
    case P_DRAINING: {
        struct pollfd p = {.fd = t->old_pidfd, .events = POLLIN};
        if (t->old_pidfd < 0 || poll(&p, 1, 0) > 0)
            finish(t, TASK_OK, NULL);
        return;
    }
    }
}

static void begin_reload(struct daemon *d, struct task *t, struct inst *in)
{
    if (!in->want_running || !in->link || in->next_link) {
        finish(t, TASK_SKIPPED, NULL); /* stopped, or being replaced already */
        return;
    }
    char err[512];
    enum inst_status st = inst_status(in);
    int serving_now = st == STATUS_ONLINE || st == STATUS_LAUNCHING;
    if (!listeners_any(in->app) || !serving_now) {
        /* nothing to hand over (no sockets, as PM2's fork apps; or no run
         * to keep serving: errored, waiting): a restart */
        mark(t, in);
        t->phase = P_RESTARTING;
        t->deadline = mono_ms() + settle_budget(in);
        if (lifecycle_restart(d, in, err, sizeof(err)) < 0)
            finish(t, TASK_FAILED, "%s", err);
        return;
    }
    t->repl = lifecycle_spawn_replacement(d, in, 1, err, sizeof(err));
    if (!t->repl) {
        finish(t, TASK_FAILED, "reload of %s aborted at instance %lld: %s", in->app->name,
               (long long)in->id, err);
        return;
    }
    t->phase = P_STARTING;
    t->deadline = mono_ms() + in->app->cfg.listen_timeout_ms + GRACE_MS;
}

/* --- SWAP ------------------------------------------------------------------ */

/* A new supervisor runs the app's current config; the old one exits. */
static void swap_now(struct daemon *d, struct task *t, struct inst *in)
{
    char err[512];
    mark(t, in);
    t->phase = P_SETTLING;
    t->deadline = mono_ms() + settle_budget(in);
    int r = in->link ? lifecycle_swap_supervisor(d, in, t->restart_counted, err, sizeof(err))
                     : lifecycle_start(d, in, err, sizeof(err));
    if (r < 0)
        finish(t, TASK_FAILED, "%s (id %lld): cannot start on the new configuration: %s",
               in->app->name, (long long)in->id, err);
}

static void begin_swap(struct daemon *d, struct task *t, struct inst *in)
{
    in->want_running = 1;
    if (in->link && status_has_process(inst_status(in)) &&
        suplink_request(in->link, "stop", NULL, NULL, NULL, NULL) == 0) {
        t->restart_counted = 1;
        t->phase = P_STOPPING;
        t->deadline = mono_ms() + stop_budget(in);
        return;
    }
    swap_now(d, t, in);
}

static void advance_swap(struct daemon *d, struct task *t, struct inst *in)
{
    if (t->phase == P_STOPPING) {
        if (in->link && !status_is_at_rest(inst_status(in)))
            return;
        swap_now(d, t, in);
        if (t->result != TASK_RUNNING)
            return;
    }
    check_settled(t, in);
}

/* --- REQUEST --------------------------------------------------------------- */

static void on_reply(struct daemon *d, struct suplink *l, struct inst *inst,
                     const struct kv_msg *reply, int ok, int *fds, unsigned n_fds, void *data);

/* --- every task ------------------------------------------------------------ */

static void begin(struct daemon *d, struct op *op, struct task *t)
{
    struct inst *in = registry_find_inst(&d->reg, t->id);
    char err[512];
    t->result = TASK_RUNNING;
    if (!in) {
        finish(t, t->kind == TASK_DELETE ? TASK_OK : TASK_SKIPPED, NULL);
        return;
    }
    t->deadline = mono_ms() + settle_budget(in);
    switch (t->kind) {
    case TASK_START:
        mark(t, in);
        if (lifecycle_start(d, in, err, sizeof(err)) < 0)
            finish(t, TASK_FAILED, "%s", err);
        break;
    case TASK_RESTART:
        mark(t, in);
        if (lifecycle_restart(d, in, err, sizeof(err)) < 0)
            finish(t, TASK_FAILED, "%s", err);
        break;
    case TASK_SETTLE:
        /* created with its supervisor spawned: any run counts */
        t->gen0 = in->gen - 1;
        t->run0 = 0;
        break;
    case TASK_STOP:
        t->deadline = mono_ms() + stop_budget(in);
        if (lifecycle_stop(d, in, err, sizeof(err)) < 0)
            finish(t, TASK_FAILED, "%s", err);
        break;
    case TASK_DELETE:
        t->deadline = mono_ms() + stop_budget(in);
        lifecycle_delete(d, in);
        break;
    case TASK_REQUEST:
        t->deadline = mono_ms() + REQUEST_TIMEOUT_MS;
        if (!in->link || suplink_request(in->link, t->request, NULL, NULL, on_reply,
                                         (void *)(uintptr_t)op->seq) < 0)
            finish(t, TASK_FAILED, "%s (id %lld) has no supervisor", in->app->name,
                   (long long)in->id);
        break;
    case TASK_RELOAD:
        begin_reload(d, t, in);
        break;
    case TASK_SWAP:
        begin_swap(d, t, in);
        break;
    }
}

/* Moves a running task on; a deadline that passed ends it. */
static void advance(struct daemon *d, struct task *t, int64_t now)
{
    struct inst *in = registry_find_inst(&d->reg, t->id);
    if (!in) {
        if (t->kind == TASK_RELOAD && t->phase == P_DRAINING)
            finish(t, TASK_OK, NULL);
        else
            finish(t, t->kind == TASK_DELETE ? TASK_OK : TASK_SKIPPED, NULL);
        return;
    }
    switch (t->kind) {
    case TASK_START:
    case TASK_RESTART:
    case TASK_SETTLE:
        check_settled(t, in);
        break;
    case TASK_STOP:
        check_stopped(t, in);
        break;
    case TASK_DELETE:
        break; /* finished by the registry (above) */
    case TASK_REQUEST:
        if (!in->link)
            finish(t, TASK_FAILED, "%s (id %lld): its supervisor went away", in->app->name,
                   (long long)in->id);
        break;
    case TASK_RELOAD:
        advance_reload(d, t, in);
        break;
    case TASK_SWAP:
        advance_swap(d, t, in);
        break;
    }
    if (t->result != TASK_RUNNING || !t->deadline || now < t->deadline)
        return;
    if (t->kind == TASK_RELOAD && t->phase == P_STARTING) {
        give_up_replacement(d, t, in, "the replacement did not become ready in time");
    } else if (t->kind == TASK_RELOAD && t->phase == P_DRAINING) {
        pidfd_signal(t->old_pidfd, SIGKILL);
        finish(t, TASK_OK, NULL);
    } else {
        static const char *const what[] = {
            [TASK_START] = "start",   [TASK_RESTART] = "start", [TASK_SETTLE] = "start",
            [TASK_STOP] = "stop",     [TASK_DELETE] = "exit",   [TASK_REQUEST] = "answer",
            [TASK_RELOAD] = "reload", [TASK_SWAP] = "start",
        };
        if (inst_status(in) == STATUS_ONLINE && in->snap.ready && !in->snap.serving)
            finish(t, TASK_TIMED_OUT,
                   "%s (id %lld) is online but did not listen within listen_timeout (%lld ms)",
                   in->app->name, (long long)in->id, (long long)in->app->cfg.listen_timeout_ms);
        else
            finish(t, TASK_TIMED_OUT, "%s (id %lld) did not %s in time (status %s)", in->app->name,
                   (long long)in->id, what[t->kind], status_name(inst_status(in)));
    }
}

static void release_task(struct daemon *d, struct task *t)
{
    ev_io_close(d->loop, &t->old_pidfd);
    if (t->repl) {
        struct inst *in = registry_find_inst(&d->reg, t->id);
        if (in)
            lifecycle_dismiss_replacement(d, in, t->repl);
        t->repl = NULL;
    }
}

static void op_free(struct daemon *d, struct op *op)
{
    ev_timer_cancel(d->loop, op->timer);
    for (size_t i = 0; i < op->n_tasks; i++)
        release_task(d, &op->tasks[i]);
    json_decref(op->extra);
    free(op->tasks);
    free(op);
}

static void unlink_op(struct daemon *d, struct op *op)
{
    for (struct op **pp = &d->ops; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            return;
        }
}

static void on_deadline(struct ev_loop *loop, void *data)
{
    struct op *op = data;
    (void)loop;
    op->timer = 0;
    ops_poll(op->d);
}

static int ended_badly(const struct task *t)
{
    return t->result == TASK_FAILED || t->result == TASK_TIMED_OUT;
}

/* Advances the running tasks and begins the pending ones (reloads only
 * `parallel` at a time, and none after a failed reload when the op stops
 * on failure). Returns 1 when the op is finished. */
static int step_op(struct daemon *d, struct op *op)
{
    int64_t now = mono_ms();
    size_t reloading = 0, running = 0;
    int reload_failed = 0;
    for (size_t i = 0; i < op->n_tasks; i++) {
        struct task *t = &op->tasks[i];
        if (t->result == TASK_RUNNING) {
            advance(d, t, now);
            if (t->result != TASK_RUNNING)
                release_task(d, t);
        }
        reloading += t->result == TASK_RUNNING && t->kind == TASK_RELOAD;
        reload_failed |= t->kind == TASK_RELOAD && ended_badly(t);
    }
    for (size_t i = 0; i < op->n_tasks; i++) {
        struct task *t = &op->tasks[i];
        if (t->result != TASK_PENDING)
            continue;
        if (t->kind == TASK_RELOAD && reload_failed && op->stop_on_failure) {
            t->result = TASK_SKIPPED;
            continue;
        }
        if (t->kind == TASK_RELOAD && op->parallel && reloading >= op->parallel)
            continue;
        begin(d, op, t);
        if (t->result == TASK_RUNNING)
            advance(d, t, now);
        if (t->result != TASK_RUNNING)
            release_task(d, t);
        reloading += t->result == TASK_RUNNING && t->kind == TASK_RELOAD;
        reload_failed |= t->kind == TASK_RELOAD && ended_badly(t);
    }
    /* one timer: the nearest deadline */
    int64_t nearest = 0;
    int pending = 0;
    for (size_t i = 0; i < op->n_tasks; i++) {
        const struct task *t = &op->tasks[i];
        running += t->result == TASK_RUNNING;
        pending |= t->result == TASK_PENDING;
        if (t->result == TASK_RUNNING && t->deadline && (!nearest || t->deadline < nearest))
            nearest = t->deadline;
    }
    if (!running && !pending)
        return 1;
    ev_timer_cancel(d->loop, op->timer);
    op->timer = 0;
    if (nearest) {
        int64_t id = ev_timer_add(d->loop, nearest - now + 1, on_deadline, op);
        op->timer = id > 0 ? id : 0;
    }
    return 0;
}

void ops_poll(struct daemon *d)
{
    if (d->ops_polling) {
        d->ops_repoll = 1; /* a task's action changed an instance: go round again */
        return;
    }
    d->ops_polling = 1;
    do {
        d->ops_repoll = 0;
        for (struct op *op = d->ops; op;) {
            struct op *next = op->next;
            if (op->running && step_op(d, op)) {
                unlink_op(d, op);
                op->done(d, op);
                op_free(d, op);
                d->ops_repoll = 1; /* done callbacks start new ops */
                break;
            }
            op = next;
        }
    } while (d->ops_repoll);
    d->ops_polling = 0;
}

struct op *op_new(struct daemon *d, struct client *c, op_done_cb done, void *data)
{
    struct op *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->extra = json_object();
    if (!op->extra) {
        free(op);
        return NULL;
    }
    op->d = d;
    op->client = c;
    op->seq = ++d->next_op_seq;
    op->done = done;
    op->data = data;
    op->next = d->ops;
    d->ops = op;
    return op;
}

static struct task *add_task(struct op *op, const struct inst *inst, enum task_kind kind)
{
    if (op->n_tasks == op->cap_tasks) {
        size_t ncap = op->cap_tasks ? op->cap_tasks * 2 : 8;
        struct task *nt = realloc(op->tasks, ncap * sizeof(*nt));
        if (!nt)
            return NULL;
        op->tasks = nt;
        op->cap_tasks = ncap;
    }
    struct task *t = &op->tasks[op->n_tasks++];
    memset(t, 0, sizeof(*t));
    t->id = inst->id;
    t->kind = kind;
    t->result = TASK_PENDING;
    t->old_pidfd = -1;
    return t;
}

int op_add(struct op *op, struct inst *inst, enum task_kind kind)
{
    return add_task(op, inst, kind) ? 0 : -ENOMEM;
}

int op_add_request(struct op *op, struct inst *inst, const char *cmd)
{
    struct task *t = add_task(op, inst, TASK_REQUEST);
    if (!t)
        return -ENOMEM;
    t->request = cmd;
    return 0;
}

void op_run(struct op *op)
{
    op->running = 1;
    ops_poll(op->d);
}

void op_discard(struct op *op)
{
    unlink_op(op->d, op);
    op_free(op->d, op);
}

static void on_reply(struct daemon *d, struct suplink *l, struct inst *inst,
                     const struct kv_msg *reply, int ok, int *fds, unsigned n_fds, void *data)
{
    uint64_t seq = (uint64_t)(uintptr_t)data;
    (void)l;
    (void)reply;
    (void)fds;
    (void)n_fds;
    for (struct op *op = d->ops; op && inst; op = op->next) {
        if (op->seq != seq)
            continue;
        for (size_t i = 0; i < op->n_tasks; i++) {
            struct task *t = &op->tasks[i];
            if (t->kind == TASK_REQUEST && t->id == inst->id && t->result == TASK_RUNNING) {
                if (ok)
                    finish(t, TASK_OK, NULL);
                else
                    finish(t, TASK_FAILED, "%s (id %lld): its supervisor did not answer",
                           inst->app->name, (long long)inst->id);
                break;
            }
        }
        break;
    }
    ops_poll(d);
}

void ops_client_gone(struct daemon *d, struct client *c)
{
    for (struct op *op = d->ops; op; op = op->next)
        if (op->client == c)
            op->client = NULL;
}

void ops_free_all(struct daemon *d)
{
    while (d->ops) {
        struct op *op = d->ops;
        d->ops = op->next;
        op_free(d, op);
    }
}

int op_failed(const struct op *op)
{
    for (size_t i = 0; i < op->n_tasks; i++)
        if (op->tasks[i].result == TASK_FAILED || op->tasks[i].result == TASK_TIMED_OUT)
            return 1;
    return 0;
}
