/* log_name.c - names of rotated log files. */
#include "logs/log_name.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

int log_name_split_dir(const char *path, char *dir, size_t dir_size, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    int n;
    if (!slash)
        n = snprintf(dir, dir_size, ".");
    else if (slash == path)
        n = snprintf(dir, dir_size, "/");
    else
        n = snprintf(dir, dir_size, "%.*s", (int)(slash - path), path);
    return n < 0 || (size_t)n >= dir_size ? -ENAMETOOLONG : 0;
}

void log_name_free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Lists the rotated files of base from an open directory stream (closed
 * here). */
static int list_rotated(DIR *d, const char *base, char ***names_out, size_t *n_out);

int log_name_list_rotated(const char *path, char ***names_out, size_t *n_out)
{
    char dir[4096];
    const char *base;
    *names_out = NULL;
    *n_out = 0;
    if (log_name_split_dir(path, dir, sizeof(dir), &base) < 0)
        return -ENAMETOOLONG;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : (errno ? -errno : -EIO);
    return list_rotated(d, base, names_out, n_out);
}

int log_name_list_rotated_at(int dirfd, const char *base, char ***names_out, size_t *n_out)
{
    *names_out = NULL;
    *n_out = 0;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno ? -errno : -EIO;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -ENOMEM;
    }
    return list_rotated(d, base, names_out, n_out);
}

static int list_rotated(DIR *d, const char *base, char ***names_out, size_t *n_out)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < LOG_NAME_LIST_MAX) {
        if (!log_name_is_rotated(base, de->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **nn = realloc(names, ncap * sizeof(*nn));
            if (!nn) {
                r = -ENOMEM;
                break;
            }
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = strdup(de->d_name))) {
            r = -ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (r < 0) {
        log_name_free_list(names, n);
        return r;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), log_name_compare);
    *names_out = names;
    *n_out = n;
    return 0;
}
