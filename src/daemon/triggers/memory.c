/* memory.c - restart an instance whose process tree uses more memory than
 * its app's max_memory_restart. One /proc scan per second serves every
 * limited app; the timer exists only while some app has a limit. */
#include "base/log.h"
#include "base/procfs.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/state/stats.h"
#include "daemon/triggers/trigger.h"
#include "loop/loop.h"

#include <stdio.h>
#include <string.h>

#define MEMORY_CHECK_MS 1000
/* After asking for a restart, the same run is not asked again before its
 * stop could have completed (kill_timeout) plus this margin. */
#define MEMORY_RETRY_MARGIN_MS 10000

static int app_limit(const struct app *app, uint64_t *limit)
{
    int64_t v = app->cfg.max_memory_restart;
    *limit = v > 0 ? (uint64_t)v : 0;
    return v > 0;
}

static int any_limited(const struct daemon *d)
{
    uint64_t limit;
    for (size_t i = 0; i < d->reg.n_apps; i++)
        if (app_limit(d->reg.apps[i], &limit))
            return 1;
    return 0;
}

static void check_inst(struct daemon *d, const struct proc_table *t, struct inst *in, int64_t now)
{
    uint64_t limit, rss, ticks;
    if (!app_limit(in->app, &limit) || !in->link || !in->want_running || in->deleting ||
        in->snap.pid <= 0 || in->snap.sup_pid <= 0 || inst_status(in) != STATUS_ONLINE)
        return;
    int64_t retry_ms =
        in->app->cfg.drain_timeout_ms + in->app->cfg.kill_timeout_ms + MEMORY_RETRY_MARGIN_MS;
    if (in->trigger_pid == in->snap.pid && now - in->trigger_pid_ms < retry_ms)
        return;
    proc_table_tree_usage(t, in->snap.sup_pid, &rss, &ticks);
    if (rss <= limit)
        return;
    char used[32], max[32], why[128];
    format_bytes_short(rss, used, sizeof(used));
    format_bytes_short(limit, max, sizeof(max));
    snprintf(why, sizeof(why), "memory %s > max_memory_restart %s", used, max);
    log_warn("%s:%lld: %s (%llu bytes): restarting", in->app->name, (long long)in->id, why,
             (unsigned long long)rss);
    in->trigger_pid = in->snap.pid;
    in->trigger_pid_ms = now;
    trigger_restart_instance(d, in, why);
}

static void on_memory_tick(struct ev_loop *loop, void *data)
{
    struct daemon *d = data;
    (void)loop;
    d->triggers->memory_timer = 0;
    if (!any_limited(d))
        return;
    struct proc_table t;
    if (proc_table_load(&t) == 0) {
        int64_t now = mono_ms();
        for (size_t i = 0; i < d->reg.n_insts; i++)
            check_inst(d, &t, d->reg.insts[i], now);
        proc_table_free(&t);
    }
    d->triggers->memory_timer = ev_timer_add(d->loop, MEMORY_CHECK_MS, on_memory_tick, d);
}

void memory_app_added(struct daemon *d, struct app *app)
{
    uint64_t limit;
    if (!app_limit(app, &limit) || d->triggers->memory_timer > 0)
        return;
    int64_t id = ev_timer_add(d->loop, MEMORY_CHECK_MS, on_memory_tick, d);
    if (id < 0)
        log_warn_errno((int)id, "app '%s': cannot arm the max_memory_restart check", app->name);
    else
        d->triggers->memory_timer = id;
}

void memory_stop(struct daemon *d)
{
    ev_timer_cancel(d->loop, d->triggers->memory_timer);
    d->triggers->memory_timer = 0;
}
