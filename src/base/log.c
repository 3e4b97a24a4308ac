/* log.c - diagnostics to stderr, one write(2) per line. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_progname = "drover";
static int log_timestamps;
static int log_level_max = -1;

void log_setup(const char *progname, int with_timestamps)
{
    log_progname = progname;
    log_timestamps = with_timestamps;
}

static int effective_level(void)
{
    if (log_level_max < 0) {
        const char *d = getenv("DROVER_DEBUG");
        log_level_max = (d && *d == '1') ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
    }
    return log_level_max;
}

VPRINTF_LIKE(3)
static void log_line(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char line[2048];
    size_t n = 0;

    if ((int)level > effective_level())
        return;
    if (log_timestamps) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        n += strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ld ", ts.tv_nsec / 1000000);
    }
    n += (size_t)snprintf(line + n, sizeof(line) - n, "%s: ", log_progname);
    if (level != LOG_LEVEL_INFO)
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s: ", names[level]);
    if (n < sizeof(line))
        n += (size_t)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (suffix && n < sizeof(line))
        n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s", suffix);
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, n);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(level, NULL, fmt, ap);
    va_end(ap);
}

int log_error_errno(int r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(LOG_LEVEL_ERROR, strerror(-r), fmt, ap);
    va_end(ap);
    return r;
}

int log_warn_errno(int r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(LOG_LEVEL_WARN, strerror(-r), fmt, ap);
    va_end(ap);
    return r;
}
