/* least_conn.c - mapping the least_conn counts (least_conn.h). */
#include "proto/least_conn.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

int lc_counts_map(int fd, struct lc_counts **out)
{
    if (fd < 0)
        return -EINVAL;
    void *p = mmap(NULL, LC_MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return errno == ENODEV || errno == EACCES ? -EINVAL : -errno;
    *out = p;
    return 0;
}

void lc_counts_unmap(struct lc_counts *counts)
{
    if (counts)
        munmap(counts, LC_MAP_BYTES);
}
