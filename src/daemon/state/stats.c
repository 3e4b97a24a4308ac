/* stats.c - CPU and memory of instance trees, sampled on demand. */
#include "daemon/state/stats.h"
#include "base/macros.h"
#include "base/procfs.h"
#include "base/timeutil.h"

#include <stdlib.h>

void stats_sample(struct daemon *d)
{
    struct proc_table t;
    if (proc_table_load(&t) < 0)
        return;
    int64_t now = mono_ms();
    long hz = proc_clock_ticks();
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        if (in->snap.pid <= 0 || in->snap.sup_pid <= 0) {
            in->cpu_percent = 0;
            in->memory_bytes = 0;
            in->cpu_ticks = 0;
            in->cpu_sample_ms = 0;
            continue;
        }
        uint64_t rss, ticks;
        proc_table_tree_usage(&t, in->snap.sup_pid, &rss, &ticks);
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
        /* a very short interval says nothing: keep the previous baseline */
        if (in->cpu_sample_ms == 0 || now - in->cpu_sample_ms >= 500) {
            in->cpu_ticks_prev = ticks;
            in->cpu_sample_ms = now;
        }
    }
    proc_table_free(&t);
}
