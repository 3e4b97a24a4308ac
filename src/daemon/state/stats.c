/* stats.c - the sampler behind every view of the figures (stats.h). */
#include "daemon/state/stats.h"
#include "base/macros.h"
#include "base/procfs.h"
#include "base/sockdiag.h"
#include "base/timeutil.h"
#include "daemon/instances/listeners.h"
#include "daemon/instances/suplink.h"
#include "loop/loop.h"
#include "proto/conn_stats.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_TREE_PIDS 256    /* processes of one instance looked at for sockets */
#define MAX_SOCKETS 65536    /* sockets looked at in one sample */
#define MAX_OWNED_PIDS 8192  /* processes of every served instance in one sample */
#define STATS_SLICE_MS 1     /* a round yields to the loop this often */
#define STATS_SLICE_INSTS 16 /* instances measured between two looks at the clock */

static int is_running(const struct inst *in)
{
    return in->snap.pid > 0 && in->snap.sup_pid > 0;
}

static void sample_usage(struct inst *in, const struct proc_table *t, int64_t now, long hz)
{
    uint64_t rss, ticks;
    proc_table_tree_usage(t, in->snap.sup_pid, &rss, &ticks);
    in->memory_bytes = rss;
    in->cpu_ticks = ticks;
    double cpu_s;
    double wall_s;
    if (in->cpu_sample_ms > 0 && ticks >= in->cpu_ticks_prev && now > in->cpu_sample_ms) {
        cpu_s = (double)(ticks - in->cpu_ticks_prev) / (double)hz;
        wall_s = (double)(now - in->cpu_sample_ms) / 1000.0;
    } else {
        cpu_s = (double)ticks / (double)hz;
        wall_s = (double)(wall_ms() - in->snap.started_at) / 1000.0;
    }
    in->cpu_percent = wall_s > 0.05 ? cpu_s / wall_s * 100.0 : 0.0;
}

/* accepted from the shim's page, and the rate since the sample before */
static void sample_accepts(struct inst *in, int64_t now)
{
    const struct conn_stats *page = suplink_conn_stats(in->link);
    if (!page) {
        in->conns_known = 0;
        in->conns_accepted = 0;
        in->accept_rate = 0;
        in->accepted_src = NULL;
        return;
    }
    uint64_t accepted = conn_stats_accepted(page);
    if (in->accepted_src == page && in->cpu_sample_ms > 0 && now > in->cpu_sample_ms &&
        accepted >= in->accepted_prev)
        in->accept_rate =
            (double)(accepted - in->accepted_prev) * 1000.0 / (double)(now - in->cpu_sample_ms);
    else
        in->accept_rate = 0;
    in->conns_known = 1;
    in->conns_accepted = accepted;
}

/* The open connections of the instances of apps the daemon holds sockets
 * for: one sock_diag dump per family, matched to the sockets each tree
 * holds (from /proc/<pid>/fd) and to the app's ports. */
struct owned_pid {
    pid_t pid;
    struct inst *in;
};

struct open_scan {
    struct sockdiag_ref *socks;
    size_t n_socks;
    struct owned_pid *owners;
    size_t n_owners;
};

static int by_pid(const void *a, const void *b)
{
    const struct owned_pid *x = a, *y = b;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int app_port(const struct app *app, uint16_t port)
{
    for (size_t i = 0; app->listeners && i < app->listeners->n; i++)
        if (app->listeners->items[i].addr.port == port)
            return 1;
    return 0;
}

static void visit_open(const struct diag_msg *m, const struct diag_tcp_info *ti, size_t ti_len,
                       void *data)
{
    struct open_scan *sc = data;
    (void)ti, (void)ti_len;
    const struct sockdiag_ref *ref = sockdiag_find(sc->socks, sc->n_socks, m->inode);
    if (!ref)
        return; /* not ours, or the client's end */
    struct owned_pid key = {.pid = ref->pid};
    const struct owned_pid *o = bsearch(&key, sc->owners, sc->n_owners, sizeof(key), by_pid);
    if (o && app_port(o->in->app, ntohs(m->id.sport)))
        o->in->conns_open++;
}

static void open_in_table(struct daemon *d, const struct proc_table *t)
{
    struct open_scan sc = {0};
    size_t n_served = 0;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        in->conns_open = -1;
        if (is_running(in) && in->app->listeners && listeners_any(in->app))
            n_served++;
    }
    if (!n_served)
        return;
    sc.socks = malloc(MAX_SOCKETS * sizeof(*sc.socks));
    sc.owners = malloc(MAX_OWNED_PIDS * sizeof(*sc.owners));
    pid_t *pids = malloc(MAX_TREE_PIDS * sizeof(*pids));
    if (!sc.socks || !sc.owners || !pids)
        goto out;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        if (!is_running(in) || !in->app->listeners || !listeners_any(in->app))
            continue;
        in->conns_open = 0;
        size_t n = proc_table_descendants(t, in->snap.sup_pid, pids, MAX_TREE_PIDS);
        for (size_t k = 0; k < MIN(n, (size_t)MAX_TREE_PIDS); k++) {
            if (sc.n_owners == MAX_OWNED_PIDS)
                break;
            sc.owners[sc.n_owners++] = (struct owned_pid){pids[k], in};
            sockdiag_proc_sockets(pids[k], sc.socks, &sc.n_socks, MAX_SOCKETS);
        }
    }
    sockdiag_sort(sc.socks, sc.n_socks);
    qsort(sc.owners, sc.n_owners, sizeof(*sc.owners), by_pid);
    if (sc.n_socks) {
        int r = sockdiag_dump_tcp(AF_INET, SOCKDIAG_HELD_STATES, visit_open, &sc);
        int r6 = sockdiag_dump_tcp(AF_INET6, SOCKDIAG_HELD_STATES, visit_open, &sc);
        if (r < 0 && r6 < 0) /* no sock_diag here: unknown, not 0 */
            for (size_t i = 0; i < sc.n_owners; i++)
                sc.owners[i].in->conns_open = -1;
    }
out:
    free(sc.socks);
    free(sc.owners);
    free(pids);
}

/* Open connections: the trees of the instances that serve a port the
 * daemon holds (usually a few cluster workers), loaded for this alone. */
static void sample_open(struct daemon *d)
{
    pid_t *roots = calloc(d->reg.n_insts ? d->reg.n_insts : 1, sizeof(*roots));
    size_t n_roots = 0;
    if (!roots)
        return;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        if (is_running(in) && in->app->listeners && listeners_any(in->app))
            roots[n_roots++] = in->snap.sup_pid;
    }
    struct proc_table t = {0};
    if (n_roots == 0 || proc_table_load_trees(&t, roots, n_roots) == 0)
        open_in_table(d, &t);
    proc_table_free(&t);
    free(roots);
}

static void forget_figures(struct inst *in)
{
    in->cpu_percent = 0;
    in->memory_bytes = 0;
    in->cpu_ticks = 0;
    in->cpu_sample_ms = 0;
    in->conns_known = 0;
    in->conns_accepted = 0;
    in->accept_rate = 0;
    in->accepted_src = NULL;
    in->sampled_pid = 0;
}

/* CPU, memory and accepts of insts[from, to): only the supervisors'
 * trees, so the cost follows drover's processes, not the machine's. */
static void sample_range(struct daemon *d, size_t from, size_t to)
{
    pid_t *roots = calloc(to > from ? to - from : 1, sizeof(*roots));
    size_t n_roots = 0;
    if (!roots)
        return;
    for (size_t i = from; i < to; i++)
        if (is_running(d->reg.insts[i]))
            roots[n_roots++] = d->reg.insts[i]->snap.sup_pid;
    struct proc_table t;
    int r = proc_table_load_trees(&t, roots, n_roots);
    free(roots);
    if (r < 0)
        return;
    int64_t now = mono_ms();
    long hz = proc_clock_ticks();
    for (size_t i = from; i < to; i++) {
        struct inst *in = d->reg.insts[i];
        if (!is_running(in)) {
            forget_figures(in);
            continue;
        }
        in->sampled_pid = in->snap.pid;
        sample_usage(in, &t, now, hz);
        sample_accepts(in, now);
        /* the baseline of the next interval */
        in->cpu_ticks_prev = in->cpu_ticks;
        in->cpu_sample_ms = now;
        in->accepted_prev = in->conns_accepted;
        in->accepted_src = suplink_conn_stats(in->link);
    }
    proc_table_free(&t);
}

/* A run the last sample did not see (or saw before it had any memory: a
 * process caught between fork and exec) makes the cached sample unusable:
 * its figures belong to another process. */
static int sample_covers_runs(const struct daemon *d)
{
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        if (is_running(in) && (in->sampled_pid != in->snap.pid || in->memory_bytes == 0))
            return 0;
    }
    return 1;
}

/* CPU time this thread spent, in microseconds: the cost of a sample. */
static int64_t cpu_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* How long a background sample may wait for the one before it: long
 * enough that sampling costs at most 1/STATS_IDLE_SHARE of a core. */
static int64_t idle_period_ms(const struct daemon *d)
{
    int64_t p = d->stats_round_cost_us * STATS_IDLE_SHARE / 1000;
    return p < STATS_IDLE_MIN_MS   ? STATS_IDLE_MIN_MS
           : p > STATS_IDLE_MAX_MS ? STATS_IDLE_MAX_MS
                                   : p;
}

static void round_step(struct ev_loop *loop, void *data);

static void cancel_timer(struct daemon *d)
{
    if (d->loop)
        ev_timer_cancel(d->loop, d->stats_refresh_timer);
    d->stats_refresh_timer = 0;
}

/* A round starts at once (a stale sample was served) or after the idle
 * period (keeping the sample younger than stats_stale_ms for the next
 * view); nothing is armed while no instance runs. */
static void arm_round(struct daemon *d, int64_t delay_ms)
{
    cancel_timer(d);
    d->stats_round_active = 0;
    size_t running = 0;
    for (size_t i = 0; i < d->reg.n_insts && !running; i++)
        running += is_running(d->reg.insts[i]);
    if (!running || !d->loop)
        return;
    int64_t id = ev_timer_add(d->loop, delay_ms, round_step, d);
    if (id > 0)
        d->stats_refresh_timer = id;
}

static void sample_done(struct daemon *d, int64_t cost_us)
{
    d->stats_round_cost_us = cost_us;
    d->stats_at_ms = mono_ms();
    arm_round(d, idle_period_ms(d));
}

/* Everything at once, before the view that asked is served. */
static void sample_all(struct daemon *d)
{
    cancel_timer(d);
    int64_t t0 = cpu_us();
    sample_range(d, 0, d->reg.n_insts);
    sample_open(d);
    sample_done(d, cpu_us() - t0);
}

/* One slice of a round: instances STATS_SLICE_INSTS at a time until
 * STATS_SLICE_MS passed, then the loop serves whatever arrived. */
static void round_step(struct ev_loop *loop, void *data)
{
    struct daemon *d = data;
    d->stats_refresh_timer = 0;
    if (!d->stats_round_active) { /* a new round */
        d->stats_round_active = 1;
        d->stats_round_next = 0;
        d->stats_round_spent_us = 0;
    }
    int64_t start = mono_ms(), t0 = cpu_us();
    while (d->stats_round_next < d->reg.n_insts) {
        size_t to = MIN(d->reg.n_insts, d->stats_round_next + STATS_SLICE_INSTS);
        sample_range(d, d->stats_round_next, to);
        d->stats_round_next = to;
        if (mono_ms() - start >= STATS_SLICE_MS)
            break;
    }
    if (d->stats_round_next < d->reg.n_insts) {
        d->stats_round_spent_us += cpu_us() - t0;
        int64_t id = ev_timer_add(loop, 0, round_step, d);
        if (id > 0) {
            d->stats_refresh_timer = id;
            return;
        }
        sample_range(d, d->stats_round_next, d->reg.n_insts);
    }
    sample_open(d);
    d->stats_round_active = 0;
    sample_done(d, d->stats_round_spent_us + cpu_us() - t0);
}

static int64_t stale_ms(const struct daemon *d)
{
    return idle_period_ms(d) + STATS_STALE_SLACK_MS;
}

/* Accepted counts cost one read of shared memory each: always live, even
 * when the rest of the sample is served as it is. */
static void read_accepted(struct daemon *d)
{
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        const struct conn_stats *page = is_running(in) ? suplink_conn_stats(in->link) : NULL;
        if (page && page == in->accepted_src)
            in->conns_accepted = conn_stats_accepted(page);
    }
}

void stats_sample(struct daemon *d)
{
    int64_t now = mono_ms();
    int64_t age = d->stats_at_ms > 0 ? now - d->stats_at_ms : INT64_MAX;
    if (age < stale_ms(d) && sample_covers_runs(d)) {
        read_accepted(d);
        /* served as it is; an older one is measured again after the reply */
        if (age >= STATS_MAX_AGE_MS)
            d->stats_refresh_wanted = !d->stats_round_active;
        return;
    }
    sample_all(d);
}

void stats_before_sleep(struct daemon *d)
{
    if (!d->stats_refresh_wanted)
        return;
    d->stats_refresh_wanted = 0;
    /* the replies went out just before this: the round starts after the
     * loop's next (zero-length) wait, with whatever arrived meanwhile */
    if (!d->stats_round_active)
        arm_round(d, 0);
}
