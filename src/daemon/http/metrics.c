/* metrics.c - the daemon's state as Prometheus families (metrics.h). */
#include "daemon/http/metrics.h"
#include "base/macros.h"
#include "base/procfs.h"
#include "config/listen_addr.h"
#include "daemon/http/prom_text.h"
#include "daemon/instances/listeners.h"
#include "daemon/state/registry.h"
#include "daemon/state/stats.h"
#include "proto/status.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

/* One value of an instance; *present cleared when it has none now. */
typedef double (*inst_value_fn)(const struct inst *in, double ticks_per_s, int *present);

struct inst_family {
    const char *name;
    enum prom_type type;
    const char *help;
    inst_value_fn value;
};

static double inst_up(const struct inst *in, double hz, int *present)
{
    return inst_status(in) == STATUS_ONLINE;
}

static double inst_restarts(const struct inst *in, double hz, int *present)
{
    return (double)in->snap.restarts;
}

static double inst_cpu(const struct inst *in, double hz, int *present)
{
    return in->snap.pid > 0 ? (double)in->cpu_ticks / hz : 0.0;
}

static double inst_memory(const struct inst *in, double hz, int *present)
{
    return in->snap.pid > 0 ? (double)in->memory_bytes : 0.0;
}

static double inst_start_time(const struct inst *in, double hz, int *present)
{
    *present = in->snap.pid > 0 && in->snap.started_at > 0;
    return (double)in->snap.started_at / 1000.0;
}

static double inst_log_dropped(const struct inst *in, double hz, int *present)
{
    return (double)in->snap.log_dropped;
}

/* the shim's count (proto/conn_stats.h): absent for an app without it */
static double inst_accepted(const struct inst *in, double hz, int *present)
{
    *present = in->snap.pid > 0 && in->conns_known;
    return (double)in->conns_accepted;
}

/* from the kernel: absent where the daemon holds no socket of the app */
static double inst_open(const struct inst *in, double hz, int *present)
{
    *present = in->snap.pid > 0 && in->conns_open >= 0;
    return (double)in->conns_open;
}

static const struct inst_family inst_families[] = {
    {"drover_instance_up", PROM_GAUGE, "1 when the instance is online, else 0", inst_up},
    {"drover_instance_restarts_total", PROM_COUNTER,
     "Restarts of the instance: crashes, restart commands and triggers", inst_restarts},
    {"drover_instance_cpu_seconds_total", PROM_COUNTER,
     "CPU time of the instance's process tree in its current run", inst_cpu},
    {"drover_instance_memory_bytes", PROM_GAUGE, "Resident memory of the instance's process tree",
     inst_memory},
    {"drover_instance_start_time_seconds", PROM_GAUGE,
     "Start of the instance's current run, seconds since the epoch", inst_start_time},
    {"drover_log_bytes_dropped_total", PROM_COUNTER,
     "Log bytes of the instance that could not be written", inst_log_dropped},
    {"drover_instance_connections_accepted_total", PROM_COUNTER,
     "Connections the instance's processes accepted on the app's shared sockets since its "
     "supervisor started",
     inst_accepted},
    {"drover_instance_connections_open", PROM_GAUGE,
     "TCP connections the instance's processes hold on the app's ports", inst_open},
};

static int render_inst_family(struct strbuf *sb, const struct daemon *d,
                              const struct inst_family *f, double hz)
{
    int r = prom_family(sb, f->name, f->type, f->help);
    for (size_t i = 0; i < d->reg.n_insts && r == 0; i++) {
        const struct inst *in = d->reg.insts[i];
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)in->id);
        const struct prom_label labels[] = {
            {"app", in->app->name}, {"instance", id}, {"namespace", in->app->cfg.namespace}};
        int present = 1;
        double v = f->value(in, hz, &present);
        if (present)
            r = prom_sample(sb, f->name, labels, ARRAY_SIZE(labels), v);
    }
    return r;
}

static int render_app_instances(struct strbuf *sb, const struct daemon *d)
{
    static const char name[] = "drover_app_instances";
    const struct registry *reg = &d->reg;
    size_t *counts = calloc(reg->n_apps ? reg->n_apps * STATUS__COUNT : 1, sizeof(*counts));
    if (!counts)
        return -ENOMEM;
    for (size_t i = 0; i < reg->n_insts; i++) {
        enum inst_status st = inst_status(reg->insts[i]);
        size_t k = registry_app_pos(reg, reg->insts[i]->app);
        if (k < reg->n_apps && (int)st >= 0 && st < STATUS__COUNT)
            counts[k * STATUS__COUNT + st]++;
    }
    int r = prom_family(sb, name, PROM_GAUGE, "Instances of the app in each status");
    for (size_t k = 0; k < reg->n_apps && r == 0; k++) {
        const struct app *app = reg->by_name[k];
        for (int st = 0; st < STATUS__COUNT && r == 0; st++) {
            const struct prom_label labels[] = {{"app", app->name},
                                                {"namespace", app->cfg.namespace},
                                                {"state", status_name((enum inst_status)st)}};
            r = prom_sample(sb, name, labels, ARRAY_SIZE(labels),
                            (double)counts[k * STATUS__COUNT + (size_t)st]);
        }
    }
    free(counts);
    return r;
}

/* One address of an app: its sockets' queues added up. */
struct queue_row {
    const char *app;
    char address[96];
    uint64_t length, max, drops;
};

enum queue_field { QUEUE_LENGTH, QUEUE_MAX, QUEUE_DROPS };

/* Adds the socket's accept queue and backlog to the app's row for its
 * address (a new row if none). Returns the number of rows. */
static size_t add_queue(struct queue_row *rows, size_t n, const struct app *app,
                        const struct listener *l)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(l->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return n;
    char address[96];
    listen_addr_format(&l->addr, address, sizeof(address));
    size_t k = n;
    while (k > 0 && rows[k - 1].app == app->name && strcmp(rows[k - 1].address, address))
        k--;
    if (k == 0 || rows[k - 1].app != app->name) {
        k = n++;
        rows[k] = (struct queue_row){.app = app->name};
        snprintf(rows[k].address, sizeof(rows[k].address), "%s", address);
    } else {
        k--;
    }
    rows[k].length += ti.tcpi_unacked;
    rows[k].max += ti.tcpi_sacked;
    /* a full accept queue drops the handshake and counts it in sk_drops */
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t ml = sizeof(mem);
    if (getsockopt(l->fd, SOL_SOCKET, SO_MEMINFO, mem, &ml) == 0 &&
        ml >= (SK_MEMINFO_DROPS + 1) * sizeof(mem[0]))
        rows[k].drops += mem[SK_MEMINFO_DROPS];
    return n;
}

static int render_queue_family(struct strbuf *sb, const struct queue_row *rows, size_t n,
                               const char *name, const char *help, enum queue_field field)
{
    int r = prom_family(sb, name, field == QUEUE_DROPS ? PROM_COUNTER : PROM_GAUGE, help);
    for (size_t i = 0; i < n && r == 0; i++) {
        const struct prom_label labels[] = {{"app", rows[i].app}, {"address", rows[i].address}};
        uint64_t v = field == QUEUE_DROPS ? rows[i].drops
                     : field == QUEUE_MAX ? rows[i].max
                                          : rows[i].length;
        r = prom_sample(sb, name, labels, ARRAY_SIZE(labels), (double)v);
    }
    return r;
}

static int render_listeners(struct strbuf *sb, const struct daemon *d)
{
    size_t total = 0, n = 0;
    for (size_t k = 0; k < d->reg.n_apps; k++)
        if (d->reg.by_name[k]->listeners)
            total += d->reg.by_name[k]->listeners->n;
    struct queue_row *rows = calloc(total ? total : 1, sizeof(*rows));
    if (!rows)
        return -ENOMEM;
    for (size_t k = 0; k < d->reg.n_apps; k++) {
        const struct app *app = d->reg.by_name[k];
        for (size_t i = 0; app->listeners && i < app->listeners->n; i++)
            if (app->listeners->items[i].fd >= 0)
                n = add_queue(rows, n, app, &app->listeners->items[i]);
    }
    int r = render_queue_family(sb, rows, n, "drover_listener_queue_length",
                                "Connections waiting in the accept queue of a listening socket "
                                "the daemon owns",
                                QUEUE_LENGTH);
    if (r == 0)
        r = render_queue_family(sb, rows, n, "drover_listener_queue_max",
                                "Backlog of a listening socket the daemon owns", QUEUE_MAX);
    if (r == 0)
        r = render_queue_family(sb, rows, n, "drover_listener_drops_total",
                                "Connections a listening socket the daemon owns dropped (its "
                                "accept queue was full)",
                                QUEUE_DROPS);
    free(rows);
    return r;
}

int metrics_render(struct daemon *d, struct strbuf *out)
{
    stats_sample(d);
    double hz = (double)proc_clock_ticks();
    if (hz <= 0)
        hz = 100;
    int r = prom_family(out, "drover_up", PROM_GAUGE, "1 while the drover daemon serves");
    if (r == 0)
        r = prom_sample(out, "drover_up", NULL, 0, 1);
    if (r == 0)
        r = render_app_instances(out, d);
    for (size_t i = 0; i < ARRAY_SIZE(inst_families) && r == 0; i++)
        r = render_inst_family(out, d, &inst_families[i], hz);
    if (r == 0)
        r = render_listeners(out, d);
    return r;
}
