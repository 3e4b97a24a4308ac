/* stats.c - the shim's connection counters (proto/conn_stats.h): the page
 * is asked from the broker once, when the process first holds a shared
 * socket, and every accept on a shared socket adds one to it. */
#include "preload/shim.h"
#include "base/strbuf.h"
#include "proto/conn_stats.h"
#include "proto/kv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct conn_stats *page;
static int attached;

void shim_stats_attach(void)
{
    if (__atomic_exchange_n(&attached, 1, __ATOMIC_ACQ_REL))
        return;
    /* DROVER_CONN_STATS=0 in the app's env: no counting (what make bench
     * compares against) */
    const char *off = getenv("DROVER_CONN_STATS");
    if (off && !strcmp(off, "0"))
        return;
    struct strbuf req = STRBUF_INIT;
    char *reply = NULL;
    size_t len = 0;
    int fd = -1;
    int saved = errno;
    kv_add(&req, "cmd", "stats");
    if (shim_broker_call(&req, &reply, &len, &fd) == 0 && fd >= 0) {
        struct conn_stats *p;
        if (conn_stats_map(fd, 1, &p) == 0)
            __atomic_store_n(&page, p, __ATOMIC_RELEASE);
    }
    if (fd >= 0)
        close(fd);
    free(reply);
    strbuf_free(&req);
    errno = saved;
}

void shim_stats_accepted(void)
{
    struct conn_stats *p = __atomic_load_n(&page, __ATOMIC_ACQUIRE);
    if (p)
        __atomic_fetch_add(&p->accepted, 1, __ATOMIC_RELAXED);
}
