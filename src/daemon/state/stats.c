/* stats.c - the sampler behind every view of the figures (stats.h). */
#include "daemon/state/stats.h"
#include "base/macros.h"
#include "base/procfs.h"
#include "base/sockdiag.h"
#include "base/timeutil.h"
#include "daemon/instances/listeners.h"
#include "daemon/instances/suplink.h"
#include "proto/conn_stats.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#define MAX_TREE_PIDS 256   /* processes of one instance looked at for sockets */
#define MAX_SOCKETS 65536   /* sockets looked at in one sample */
#define MAX_OWNED_PIDS 8192 /* processes of every served instance in one sample */

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

static void sample_open(struct daemon *d, const struct proc_table *t)
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

/* A run the last sample did not see (or saw before it had any memory: a
 * process caught between fork and exec) makes the cached sample stale. */
static int sample_is_fresh(const struct daemon *d, int64_t now)
{
    if (d->stats_at_ms <= 0 || now - d->stats_at_ms >= STATS_MAX_AGE_MS)
        return 0;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        if (is_running(in) && (in->sampled_pid != in->snap.pid || in->memory_bytes == 0))
            return 0;
    }
    return 1;
}

void stats_sample(struct daemon *d)
{
    int64_t now = mono_ms();
    if (sample_is_fresh(d, now))
        return;
    /* only the supervisors' trees: the cost follows drover's processes,
     * not the machine's */
    pid_t *roots = malloc((d->reg.n_insts ? d->reg.n_insts : 1) * sizeof(*roots));
    size_t n_roots = 0;
    if (!roots)
        return;
    for (size_t i = 0; i < d->reg.n_insts; i++)
        if (is_running(d->reg.insts[i]))
            roots[n_roots++] = d->reg.insts[i]->snap.sup_pid;
    struct proc_table t;
    int r = proc_table_load_trees(&t, roots, n_roots);
    free(roots);
    if (r < 0)
        return;
    d->stats_at_ms = now;
    long hz = proc_clock_ticks();
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        if (!is_running(in)) {
            in->cpu_percent = 0;
            in->memory_bytes = 0;
            in->cpu_ticks = 0;
            in->cpu_sample_ms = 0;
            in->conns_known = 0;
            in->conns_accepted = 0;
            in->accept_rate = 0;
            in->accepted_src = NULL;
            in->sampled_pid = 0;
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
    sample_open(d, &t);
    proc_table_free(&t);
}
