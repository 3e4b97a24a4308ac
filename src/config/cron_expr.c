/* cron_expr.c - cron expressions: parsing and the next fire time. */
#include "config/cron_expr.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* weekdays and dates line up again within 28 years (29 to be safe) */
#define SEARCH_HORIZON_S (29LL * 366 * 86400)

struct field_def {
    const char *what;
    int min, max;
    const char *const *names; /* names[i] is value i + names_base */
    int names_base;
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const wday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

enum { F_SEC, F_MIN, F_HOUR, F_MDAY, F_MONTH, F_WDAY, F_COUNT };

static const struct field_def fields[F_COUNT] = {
    [F_SEC] = {"second", 0, 59, NULL, 0},         [F_MIN] = {"minute", 0, 59, NULL, 0},
    [F_HOUR] = {"hour", 0, 23, NULL, 0},          [F_MDAY] = {"day of month", 1, 31, NULL, 0},
    [F_MONTH] = {"month", 1, 12, month_names, 1}, [F_WDAY] = {"day of week", 0, 7, wday_names, 0},
};

static const struct {
    const char *name, *expansion;
} macros[] = {
    {"@yearly", "0 0 0 1 1 *"}, {"@annually", "0 0 0 1 1 *"}, {"@monthly", "0 0 0 1 * *"},
    {"@weekly", "0 0 0 * * 0"}, {"@daily", "0 0 0 * * *"},    {"@midnight", "0 0 0 * * *"},
    {"@hourly", "0 0 * * * *"},
};

struct parse_ctx {
    char *err;
    size_t errlen;
    int field_no; /* as the user counts them, from 1 */
    const struct field_def *def;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse_ctx *c, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "field %d (%s): %s", c->field_no, c->def->what, what);
    return -EINVAL;
}

/* Reads a number or a name at *p (advanced past it). */
static int parse_value(struct parse_ctx *c, const char **p, const char *end, int *out)
{
    const struct field_def *d = c->def;
    const char *s = *p;
    if (s < end && isdigit((unsigned char)*s)) {
        long v = 0;
        while (s < end && isdigit((unsigned char)*s) && v < 1000)
            v = v * 10 + (*s++ - '0');
        if (s < end && isdigit((unsigned char)*s))
            return fail(c, "number too long");
        if (v < d->min || v > d->max)
            return fail(c, "%ld is out of range %d-%d", v, d->min, d->max);
        *out = (int)v;
        *p = s;
        return 0;
    }
    if (d->names && end - s >= 3) {
        for (int i = 0; d->names[i]; i++) {
            if (strncasecmp(s, d->names[i], 3) == 0 &&
                (end - s == 3 || !isalpha((unsigned char)s[3]))) {
                *out = i + d->names_base;
                *p = s + 3;
                return 0;
            }
        }
    }
    size_t len = 0;
    while (s + len < end && !strchr(",-/", s[len]))
        len++;
    char tok[32];
    snprintf(tok, sizeof(tok), "%.*s", (int)(len < 24 ? len : 24), s);
    return fail(c, "'%s' is not a valid value", tok);
}

/* Parses one comma-separated item into *bits. */
static int parse_item(struct parse_ctx *c, const char *s, const char *end, uint64_t *bits)
{
    const struct field_def *d = c->def;
    int lo, hi, step = 1, r;
    int has_range = 0;
    if (s < end && (*s == '*' || *s == '?')) {
        lo = d->min;
        hi = d->max;
        s++;
        has_range = 1;
    } else {
        if ((r = parse_value(c, &s, end, &lo)) < 0)
            return r;
        hi = lo;
        if (s < end && *s == '-') {
            s++;
            if ((r = parse_value(c, &s, end, &hi)) < 0)
                return r;
            if (hi < lo)
                return fail(c, "range %d-%d is reversed", lo, hi);
            has_range = 1;
        }
    }
    if (s < end && *s == '/') {
        s++;
        long v = 0;
        if (s == end || !isdigit((unsigned char)*s))
            return fail(c, "step must be a number");
        while (s < end && isdigit((unsigned char)*s) && v <= 1000)
            v = v * 10 + (*s++ - '0');
        if (v < 1 || v > d->max)
            return fail(c, "step %ld is out of range 1-%d", v, d->max);
        step = (int)v;
        if (!has_range)
            hi = d->max; /* "a/n": from a to the end */
    }
    if (s != end)
        return fail(c, "unexpected '%c'", *s);
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ULL << v;
    return 0;
}

static int parse_field(struct parse_ctx *c, const char *s, const char *end, uint64_t *bits)
{
    *bits = 0;
    if (s == end)
        return fail(c, "empty");
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *item_end = comma ? comma : end;
        if (item_end == s)
            return fail(c, "empty list item");
        int r = parse_item(c, s, item_end, bits);
        if (r < 0)
            return r;
        if (!comma)
            break;
        s = comma + 1;
    }
    return 0;
}

static int days_in_month_max(int month)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[month - 1];
}

int cron_parse(const char *text, struct cron_expr *out, char *err, size_t errlen)
{
    if (strlen(text) > CRON_EXPR_MAX_LEN) {
        snprintf(err, errlen, "longer than %d characters", CRON_EXPR_MAX_LEN);
        return -EINVAL;
    }
    while (isspace((unsigned char)*text))
        text++;
    if (*text == '@') {
        size_t len = strcspn(text, " \t\n");
        for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
            if (strlen(macros[i].name) == len && strncasecmp(text, macros[i].name, len) == 0 &&
                text[len + strspn(text + len, " \t\n")] == '\0')
                return cron_parse(macros[i].expansion, out, err, errlen);
        snprintf(err, errlen, "unknown macro '%.*s'", (int)(len < 32 ? len : 32), text);
        return -EINVAL;
    }
    const char *starts[F_COUNT + 1], *ends[F_COUNT + 1];
    int n = 0;
    const char *p = text;
    while (*p) {
        if (n == F_COUNT) {
            n++;
            break;
        }
        starts[n] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        ends[n++] = p;
        while (isspace((unsigned char)*p))
            p++;
    }
    if (n != 5 && n != 6) {
        snprintf(err, errlen,
                 "expected 5 fields (minute hour day month weekday) or 6 (with leading seconds), "
                 "got %s%d",
                 n > 6 ? "more than " : "", n > 6 ? 6 : n);
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    uint64_t bits[F_COUNT];
    int first = n == 6 ? F_SEC : F_MIN;
    bits[F_SEC] = 1; /* 5 fields: second 0 */
    for (int f = first; f < F_COUNT; f++) {
        int i = f - first;
        struct parse_ctx c = {err, errlen, i + 1, &fields[f]};
        int r = parse_field(&c, starts[i], ends[i], &bits[f]);
        if (r < 0)
            return r;
    }
    out->seconds = bits[F_SEC];
    out->minutes = bits[F_MIN];
    out->hours = (uint32_t)bits[F_HOUR];
    out->mdays = (uint32_t)bits[F_MDAY];
    out->months = (uint16_t)bits[F_MONTH];
    uint64_t w = bits[F_WDAY];
    if (w & (1ULL << 7))
        w = (w | 1) & 0x7f; /* 7 is Sunday */
    out->wdays = (uint8_t)w;
    out->mday_any = *starts[F_MDAY - first] == '*' || *starts[F_MDAY - first] == '?';
    out->wday_any = *starts[F_WDAY - first] == '*' || *starts[F_WDAY - first] == '?';

    /* Only the day of month restricts the day: it must exist in a month. */
    if (!out->mday_any && out->wday_any) {
        int possible = 0;
        for (int m = 1; m <= 12 && !possible; m++)
            for (int d = 1; d <= days_in_month_max(m) && !possible; d++)
                possible = (out->months >> m & 1) && (out->mdays >> d & 1);
        if (!possible) {
            snprintf(err, errlen,
                     "never fires: no selected day of month exists in the selected "
                     "months");
            return -EINVAL;
        }
    }
    return 0;
}

static int day_matches(const struct cron_expr *e, const struct tm *tm)
{
    int md = e->mdays >> tm->tm_mday & 1;
    int wd = e->wdays >> tm->tm_wday & 1;
    if (e->mday_any || e->wday_any)
        return md && wd;
    return md || wd;
}

/* Local midnight of the day after (next_month: the month after) tm. Always
 * after t, whatever the time zone does at midnight. */
static time_t next_boundary(struct tm tm, time_t t, int next_month)
{
    if (next_month) {
        tm.tm_mon++;
        tm.tm_mday = 1;
    } else {
        tm.tm_mday++;
    }
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    time_t n = mktime(&tm);
    return n > t ? n : t + 1;
}

/* The lowest set bit at or above from, or -1. */
static int next_bit(uint64_t bits, int from, int max)
{
    for (int v = from; v <= max; v++)
        if (bits >> v & 1)
            return v;
    return -1;
}

/* True when the local wall time of t already occurred earlier (the second
 * pass through the hour a DST change repeats). */
static int wall_time_repeats(time_t t)
{
    struct tm now, before;
    time_t probe = t - 7200;
    if (!localtime_r(&t, &now) || !localtime_r(&probe, &before))
        return 0;
    long shift = before.tm_gmtoff - now.tm_gmtoff;
    if (shift <= 0 || shift > 7200)
        return 0;
    probe = t - shift;
    return localtime_r(&probe, &before) && before.tm_gmtoff - now.tm_gmtoff == shift;
}

int cron_next(const struct cron_expr *e, time_t after, time_t *next)
{
    time_t t = after + 1, limit = after + SEARCH_HORIZON_S;
    struct tm tm;
    /* Vixie cron: a job at fixed times (no wildcard hour or minute) runs
     * once in a repeated hour; frequent ones run in both passes. */
    int fixed_time = e->hours != (1u << 24) - 1 && e->minutes != (1ULL << 60) - 1;
    tzset();
    while (t <= limit) {
        if (!localtime_r(&t, &tm))
            return -EINVAL;
        if (!(e->months >> (tm.tm_mon + 1) & 1)) {
            t = next_boundary(tm, t, 1);
            continue;
        }
        if (!day_matches(e, &tm)) {
            t = next_boundary(tm, t, 0);
            continue;
        }
        /* Hours step one at a time: a DST change inside an absolute jump of
         * several hours could overshoot the matching one. */
        if (!(e->hours >> tm.tm_hour & 1)) {
            t += 3600 - tm.tm_min * 60 - tm.tm_sec;
            continue;
        }
        int m = next_bit(e->minutes, tm.tm_min, 59);
        if (m < 0) {
            t += 3600 - tm.tm_min * 60 - tm.tm_sec;
            continue;
        }
        if (m != tm.tm_min) {
            t += (m - tm.tm_min) * 60 - tm.tm_sec;
            continue;
        }
        int s = next_bit(e->seconds, tm.tm_sec, 59);
        if (s < 0) {
            t += 60 - tm.tm_sec;
            continue;
        }
        time_t candidate = t + (s - tm.tm_sec);
        if (fixed_time && wall_time_repeats(candidate)) {
            t = candidate + 1;
            continue;
        }
        *next = candidate;
        return 0;
    }
    return -ENOENT;
}

int cron_check_reachable(const struct cron_expr *e, time_t now, char *err, size_t errlen)
{
    time_t next;
    if (cron_next(e, now, &next) < 0) {
        snprintf(err, errlen, "never fires (no matching time in the next 29 years)");
        return -EINVAL;
    }
    if (next - now > CRON_MAX_FIRST_WAIT_S) {
        struct tm tm;
        char when[64] = "?";
        if (localtime_r(&next, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
        snprintf(err, errlen,
                 "would first fire on %s, more than 5 years from now (when day of month and "
                 "day of week are both given, a field starting with '*' still restricts)",
                 when);
        return -EINVAL;
    }
    return 0;
}
