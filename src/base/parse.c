/* parse.c - parsers for the values users type. */
#include "base/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0')
        return -EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

/* Parses "<number><suffix>" where number may have a fraction; returns the
 * number and points *suffix at the first character after it. */
static int parse_number_prefix(const char *s, double *num, const char **suffix)
{
    if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
        return -EINVAL;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v) || v < 0)
        return -EINVAL;
    *num = v;
    *suffix = end;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    double v;
    const char *suf;
    if (parse_number_prefix(s, &v, &suf) < 0)
        return -EINVAL;
    double mult = 1;
    if (*suf) {
        switch (tolower((unsigned char)*suf)) {
        case 'b':
            mult = 1;
            break;
        case 'k':
            mult = 1024.0;
            break;
        case 'm':
            mult = 1024.0 * 1024;
            break;
        case 'g':
            mult = 1024.0 * 1024 * 1024;
            break;
        case 't':
            mult = 1024.0 * 1024 * 1024 * 1024;
            break;
        default:
            return -EINVAL;
        }
        suf++;
        if (mult > 1 && (*suf == 'b' || *suf == 'B'))
            suf++;
        if (*suf)
            return -EINVAL;
    }
    double bytes = v * mult;
    if (bytes >= 18446744073709551615.0)
        return -ERANGE;
    *out = (uint64_t)bytes;
    return 0;
}

int parse_duration_ms(const char *s, int64_t *out)
{
    double v;
    const char *suf;
    if (parse_number_prefix(s, &v, &suf) < 0)
        return -EINVAL;
    double mult;
    if (*suf == '\0' || strcmp(suf, "ms") == 0)
        mult = 1;
    else if (strcmp(suf, "s") == 0)
        mult = 1000;
    else if (strcmp(suf, "m") == 0 || strcmp(suf, "min") == 0)
        mult = 60000;
    else if (strcmp(suf, "h") == 0)
        mult = 3600000;
    else if (strcmp(suf, "d") == 0)
        mult = 86400000;
    else
        return -EINVAL;
    double ms = v * mult;
    if (ms > 9.0e15)
        return -ERANGE;
    *out = (int64_t)llround(ms);
    return 0;
}

static const struct {
    const char *name;
    int sig;
} signal_table[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int parse_signal(const char *s, int *out)
{
    if (!s || !*s)
        return -EINVAL;
    if (isdigit((unsigned char)*s)) {
        int64_t v;
        if (parse_int64(s, 1, 64, &v) < 0)
            return -EINVAL;
        *out = (int)v;
        return 0;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++) {
        if (strcasecmp(s, signal_table[i].name) == 0) {
            *out = signal_table[i].sig;
            return 0;
        }
    }
    return -EINVAL;
}

const char *signal_name(int sig)
{
    static const char *const full[] = {
        [SIGHUP] = "SIGHUP",       [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT",
        [SIGILL] = "SIGILL",       [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
        [SIGBUS] = "SIGBUS",       [SIGFPE] = "SIGFPE",   [SIGKILL] = "SIGKILL",
        [SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE",     [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
        [SIGCHLD] = "SIGCHLD",     [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
        [SIGTSTP] = "SIGTSTP",     [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
        [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
        [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
        [SIGIO] = "SIGIO",         [SIGPWR] = "SIGPWR",   [SIGSYS] = "SIGSYS",
    };
    if (sig <= 0 || (size_t)sig >= sizeof(full) / sizeof(full[0]))
        return NULL;
    return full[sig];
}
