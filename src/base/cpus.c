/* cpus.c - usable CPUs: affinity and cgroup CPU quota. */
#include "base/cpus.h"
#include "base/cgroupfs.h"
#include "base/fdutil.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cpus_from_cpu_max(const char *text)
{
    long long quota, period;
    if (!text || strncmp(text, "max", 3) == 0)
        return 0;
    if (sscanf(text, "%lld %lld", &quota, &period) != 2 || quota <= 0 || period <= 0)
        return 0;
    return (int)((quota + period - 1) / period);
}

static int cgroup_quota_cpus(void)
{
    char mnt[1024], path[2048];
    if (cgroupfs_mount(mnt, sizeof(mnt)) < 0 || cgroupfs_self_path(path, sizeof(path)) < 0)
        return 0;
    int best = 0;
    /* the tightest quota on the way up to the root wins */
    for (;;) {
        char file[4096], *content = NULL;
        snprintf(file, sizeof(file), "%s%s/cpu.max", mnt, strcmp(path, "/") ? path : "");
        if (read_file_at(AT_FDCWD, file, 4096, &content, NULL) == 0) {
            int n = cpus_from_cpu_max(content);
            if (n > 0 && (best == 0 || n < best))
                best = n;
            free(content);
        }
        char *slash = strrchr(path, '/');
        if (!slash || slash == path)
            break;
        *slash = '\0';
    }
    return best;
}

int cpus_usable(void)
{
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = 1;
    int quota = cgroup_quota_cpus();
    if (quota > 0 && quota < n)
        n = quota;
    return n;
}
