/* log_name.c - names of rotated log files. */
#include "logs/log_name.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define STAMP_LEN LOG_NAME_STAMP_LEN

/* Splits a base name into stem and extension: the extension starts at the
 * last dot unless that dot begins the name. */
static size_t stem_len(const char *base)
{
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return strlen(base);
    return (size_t)(dot - base);
}

int log_name_stamp(int64_t wall_ms, char *out)
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm))
        return -EINVAL;
    if (strftime(out, STAMP_LEN + 1, "%Y-%m-%d_%H-%M-%S", &tm) != STAMP_LEN)
        return -EINVAL;
    return 0;
}

int log_name_rotated(const char *path, int64_t wall_ms, unsigned counter, char *out,
                     size_t out_size)
{
    if (counter > LOG_NAME_MAX_COUNTER)
        return -EINVAL;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dir_len = (size_t)(base - path);
    size_t stem = stem_len(base);
    const char *ext = base + stem;

    char stamp[STAMP_LEN + 1];
    if (log_name_stamp(wall_ms, stamp) < 0)
        return -EINVAL;
    char count[8] = "";
    if (counter > 0)
        snprintf(count, sizeof(count), "_%04u", counter);

    int n = snprintf(out, out_size, "%.*s%.*s__%s%s%s", (int)dir_len, path, (int)stem, base, stamp,
                     count, ext);
    if (n < 0 || (size_t)n >= out_size)
        return -ENAMETOOLONG;
    return 0;
}

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Checks "YYYY-MM-DD_HH-MM-SS" (digits and separators only). */
static int is_stamp(const char *s)
{
    static const char shape[] = "dddd-dd-dd_dd-dd-dd";
    for (size_t i = 0; i < STAMP_LEN; i++) {
        if (shape[i] == 'd') {
            if (s[i] < '0' || s[i] > '9')
                return 0;
        } else if (s[i] != shape[i]) {
            return 0;
        }
    }
    return 1;
}

int log_name_parse(const char *log_base, const char *name, char *stamp, unsigned *counter)
{
    size_t stem = stem_len(log_base);
    const char *ext = log_base + stem;
    size_t ext_len = strlen(ext);
    size_t len = log_name_key_len(name);

    if (len < stem + 2 + STAMP_LEN + ext_len || strncmp(name, log_base, stem) != 0)
        return 0;
    const char *p = name + stem;
    if (p[0] != '_' || p[1] != '_' || !is_stamp(p + 2))
        return 0;
    const char *stamp_at = p + 2;
    p += 2 + STAMP_LEN;
    size_t rest = len - (size_t)(p - name); /* [_NNNN]<ext> */
    unsigned count = 0;
    if (rest == ext_len + 5 && p[0] == '_' && is_digits(p + 1, 4)) {
        count =
            (unsigned)((p[1] - '0') * 1000 + (p[2] - '0') * 100 + (p[3] - '0') * 10 + (p[4] - '0'));
        p += 5;
        rest -= 5;
    }
    if (rest != ext_len || memcmp(p, ext, ext_len) != 0)
        return 0;
    if (stamp) {
        memcpy(stamp, stamp_at, STAMP_LEN);
        stamp[STAMP_LEN] = '\0';
    }
    if (counter)
        *counter = count;
    return 1;
}

int log_name_is_rotated(const char *log_base, const char *name)
{
    return log_name_parse(log_base, name, NULL, NULL);
}

size_t log_name_key_len(const char *name)
{
    size_t len = strlen(name);
    if (len > 3 && strcmp(name + len - 3, ".gz") == 0)
        return len - 3;
    return len;
}

int log_name_compare(const void *a, const void *b)
{
    const char *x = *(const char *const *)a;
    const char *y = *(const char *const *)b;
    size_t xl = log_name_key_len(x), yl = log_name_key_len(y);
    int c = memcmp(x, y, xl < yl ? xl : yl);
    if (c != 0)
        return c;
    if (xl != yl)
        return xl < yl ? -1 : 1;
    /* the same rotation, plain and compressed: plain first */
    return strcmp(x, y);
}
