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

/* True when the comma-separated list has the word. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, word, n) && (p[n] == ',' || p[n] == '\0' || p[n] == ' '))
            return 1;
    return 0;
}

/* The cgroup v1 "cpu" hierarchy: where it is mounted (mnt) and this
 * process's cgroup under that mount (rel, "/" at the mount's root; a
 * container sees its own cgroup as the mount's root). Returns 0 or -1. */
static int v1_cpu_cgroup(char *mnt, size_t mnt_len, char *rel, size_t rel_len)
{
    char *text = NULL, *save = NULL, cg[1024] = "", root[1024] = "", at[1024] = "";
    if (read_file_at(AT_FDCWD, "/proc/self/cgroup", 65536, &text, NULL) < 0)
        return -1;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;
        if (!path)
            continue;
        *path = '\0';
        if (has_word(ctl + 1, "cpu")) {
            snprintf(cg, sizeof(cg), "%s", path + 1);
            break;
        }
    }
    free(text);
    if (!*cg || read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 20, &text, NULL) < 0)
        return -1;
    int r = -1;
    save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *fs = strstr(line, " - cgroup ");
        char *opts = fs ? strchr(fs + strlen(" - cgroup "), ' ') : NULL;
        if (!opts || !has_word(opts + 1, "cpu") ||
            sscanf(line, "%*s %*s %*s %1023s %1023s", root, at) != 2)
            continue;
        snprintf(mnt, mnt_len, "%s", at);
        size_t n = strlen(root);
        if (!strcmp(root, "/"))
            snprintf(rel, rel_len, "%s", cg);
        else if (!strncmp(cg, root, n) && (cg[n] == '/' || cg[n] == '\0'))
            snprintf(rel, rel_len, "%s", cg[n] ? cg + n : "/");
        else
            snprintf(rel, rel_len, "/"); /* a namespace's view: its own root */
        r = 0;
        break;
    }
    free(text);
    return r;
}

/* cgroup v1 (hybrid hosts, Docker 20.10 there): cpu.cfs_quota_us and
 * cpu.cfs_period_us, the tightest on the way up to the mount's root. */
static int cgroup_v1_quota_cpus(void)
{
    char mnt[1024], rel[1024];
    if (v1_cpu_cgroup(mnt, sizeof(mnt), rel, sizeof(rel)) < 0)
        return 0;
    int best = 0;
    for (;;) {
        char file[4096], *q = NULL, *p = NULL;
        const char *dir = strcmp(rel, "/") ? rel : "";
        snprintf(file, sizeof(file), "%s%s/cpu.cfs_quota_us", mnt, dir);
        if (read_file_at(AT_FDCWD, file, 64, &q, NULL) == 0) {
            snprintf(file, sizeof(file), "%s%s/cpu.cfs_period_us", mnt, dir);
            if (read_file_at(AT_FDCWD, file, 64, &p, NULL) == 0) {
                char text[64];
                long long quota = strtoll(q, NULL, 10), period = strtoll(p, NULL, 10);
                snprintf(text, sizeof(text), "%lld %lld", quota, period);
                int n = quota > 0 ? cpus_from_cpu_max(text) : 0;
                if (n > 0 && (best == 0 || n < best))
                    best = n;
            }
        }
        free(q);
        free(p);
        char *slash = strrchr(rel, '/');
        if (!slash || slash == rel)
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
    int quotas[] = {cgroup_quota_cpus(), cgroup_v1_quota_cpus()};
    for (size_t i = 0; i < sizeof(quotas) / sizeof(quotas[0]); i++)
        if (quotas[i] > 0 && quotas[i] < n)
            n = quotas[i];
    return n;
}
