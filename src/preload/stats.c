/* stats.c - the shim's connection counters (proto/conn_stats.h): the page
 * is asked from the broker once, when the process first holds a shared
 * socket, and every accept on a shared socket adds one to it. */
#include "preload/shim.h"
#include "proto/conn_stats.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct conn_stats *page;
static int attached;

void shim_stats_attach(void)
{
    if (__atomic_exchange_n(&attached, 1, __ATOMIC_ACQ_REL))
        return;
    shim_lc_attach(); /* not a statistic: balancing needs it whatever the setting */
    /* DROVER_CONN_STATS=0 in the app's env: no counting (what make bench
     * compares against) */
    const char *off = getenv("DROVER_CONN_STATS");
    if (off && !strcmp(off, "0"))
        return;
    char *reply;
    struct kv_msg m;
    int fd = shim_broker_fd("stats", &m, &reply);
    if (fd >= 0) {
        struct conn_stats *p;
        if (conn_stats_map(fd, 1, &p) == 0)
            __atomic_store_n(&page, p, __ATOMIC_RELEASE);
        close(fd);
    }
    free(reply);
}

void shim_stats_accepted(void)
{
    struct conn_stats *p = __atomic_load_n(&page, __ATOMIC_ACQUIRE);
    if (p)
        __atomic_fetch_add(&p->accepted, 1, __ATOMIC_RELAXED);
}
