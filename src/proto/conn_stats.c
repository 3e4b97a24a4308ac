/* conn_stats.c - the shared page of connection counters (conn_stats.h). */
#include "proto/conn_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int conn_stats_create(int *fd, struct conn_stats **out)
{
    int f = memfd_create("drover-conn-stats", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (f < 0)
        return -errno;
    int r = 0;
    if (ftruncate(f, CONN_STATS_SIZE) < 0 ||
        fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
        r = -errno;
    void *p = MAP_FAILED;
    if (r == 0 &&
        (p = mmap(NULL, CONN_STATS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0)) == MAP_FAILED)
        r = -errno;
    if (r < 0) {
        close(f);
        return r;
    }
    struct conn_stats *page = p;
    page->magic = CONN_STATS_MAGIC;
    page->version = CONN_STATS_VERSION;
    *fd = f;
    *out = page;
    return 0;
}

int conn_stats_map(int fd, int writable, struct conn_stats **out)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    /* unsealed, the app could shrink the file under a reader's mapping
     * (a SIGBUS in the daemon) */
    int seals = fcntl(fd, F_GET_SEALS);
    if (!S_ISREG(st.st_mode) || st.st_size != (off_t)CONN_STATS_SIZE || seals < 0 ||
        !(seals & F_SEAL_SHRINK))
        return -EINVAL;
    void *p =
        mmap(NULL, CONN_STATS_SIZE, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    struct conn_stats *page = p;
    if (page->magic != CONN_STATS_MAGIC || page->version != CONN_STATS_VERSION) {
        munmap(p, CONN_STATS_SIZE);
        return -EINVAL;
    }
    *out = page;
    return 0;
}

void conn_stats_unmap(struct conn_stats *page)
{
    if (page)
        munmap(page, CONN_STATS_SIZE);
}
