/* least_conn.c - the shim's part of balancing "least_conn"
 * (proto/least_conn.h): the open connections of this instance's run, kept
 * in its cell of the app's counts map, which the kernel's program reads
 * when it picks a slot for a new connection.
 *
 * An fd accept() returned on a shared socket is marked in a bitmap and
 * adds one; closing a marked fd (close, syscall(SYS_close) as libuv does,
 * close_range, dup2/dup3 over it) clears the mark and takes one away. No
 * system call is added: an atomic add in shared memory. A forked child
 * starts with no marks (its copies of the parent's connections are the
 * parent's to count). */
#include "preload/shim.h"
#include "proto/least_conn.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRACKED_FDS (1 << 20) /* fds above are neither counted nor uncounted */
#define WORD_BITS (sizeof(unsigned long) * CHAR_BIT)

static struct lc_counts *counts;
static int cell = -1;
static unsigned long marks[TRACKED_FDS / WORD_BITS];
static long n_marked;

static void forget_marks(void)
{
    if (__atomic_load_n(&n_marked, __ATOMIC_RELAXED) == 0)
        return;
    memset(marks, 0, sizeof(marks));
    n_marked = 0;
}

void shim_lc_attach(void)
{
    static int attached;
    if (__atomic_exchange_n(&attached, 1, __ATOMIC_ACQ_REL))
        return;
    char *reply;
    struct kv_msg m;
    int fd = shim_broker_fd("lc", &m, &reply);
    int64_t k = fd >= 0 ? kv_get_i64(&m, "cell", -1) : -1;
    struct lc_counts *c;
    if (k >= 0 && k < LC_MAX_SLOTS * LC_CELLS_PER_SLOT && lc_counts_map(fd, &c) == 0) {
        cell = (int)k;
        pthread_atfork(NULL, NULL, forget_marks);
        __atomic_store_n(&counts, c, __ATOMIC_RELEASE);
    }
    if (fd >= 0)
        close(fd);
    free(reply);
}

void shim_lc_accepted(int fd)
{
    struct lc_counts *c = __atomic_load_n(&counts, __ATOMIC_ACQUIRE);
    if (!c || fd < 0 || fd >= TRACKED_FDS)
        return;
    unsigned long bit = 1UL << ((unsigned)fd % WORD_BITS);
    unsigned long was = __atomic_fetch_or(&marks[(unsigned)fd / WORD_BITS], bit, __ATOMIC_RELAXED);
    if (!(was & bit)) {
        __atomic_fetch_add(&n_marked, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&c->cells[cell], 1, __ATOMIC_RELAXED);
    }
}

void shim_lc_closing(int fd)
{
    struct lc_counts *c = __atomic_load_n(&counts, __ATOMIC_ACQUIRE);
    if (!c || fd < 0 || fd >= TRACKED_FDS)
        return;
    unsigned long bit = 1UL << ((unsigned)fd % WORD_BITS);
    unsigned long *w = &marks[(unsigned)fd / WORD_BITS];
    if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit))
        return; /* the common case: not a connection of ours */
    unsigned long was = __atomic_fetch_and(w, ~bit, __ATOMIC_RELAXED);
    if (was & bit) {
        __atomic_fetch_sub(&n_marked, 1, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&c->cells[cell], 1, __ATOMIC_RELAXED);
    }
}

void shim_lc_closing_range(unsigned first, unsigned last)
{
    if (!__atomic_load_n(&counts, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&n_marked, __ATOMIC_RELAXED) == 0)
        return;
    if (last >= TRACKED_FDS)
        last = TRACKED_FDS - 1;
    for (unsigned fd = first; fd <= last; fd++)
        if (marks[fd / WORD_BITS])
            shim_lc_closing((int)fd);
        else
            fd |= (unsigned)WORD_BITS - 1; /* the whole word is clear */
}
