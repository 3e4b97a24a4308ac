/* timeutil.c - clocks and human-readable durations. */
#include "base/timeutil.h"

#include <stdio.h>
#include <time.h>

int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *format_duration_short(int64_t ms, char *buf, size_t len)
{
    int64_t s = ms < 0 ? 0 : ms / 1000;
    if (s < 60)
        snprintf(buf, len, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, len, "%lldm", (long long)(s / 60));
    else if (s < 86400)
        snprintf(buf, len, "%lldh", (long long)(s / 3600));
    else
        snprintf(buf, len, "%lldD", (long long)(s / 86400));
    return buf;
}

char *format_bytes_short(uint64_t bytes, char *buf, size_t len)
{
    if (bytes < 1024)
        snprintf(buf, len, "%llub", (unsigned long long)bytes);
    else if (bytes < 1024ULL * 1024)
        snprintf(buf, len, "%.1fkb", (double)bytes / 1024.0);
    else if (bytes < 1024ULL * 1024 * 1024)
        snprintf(buf, len, "%.1fmb", (double)bytes / (1024.0 * 1024.0));
    else
        snprintf(buf, len, "%.1fgb", (double)bytes / (1024.0 * 1024.0 * 1024.0));
    return buf;
}
