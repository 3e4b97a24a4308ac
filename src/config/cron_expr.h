/* cron_expr.h - cron expressions for `cron_restart`: parsing and "when does
 * it fire next". Pure and libc-only, shared by config validation (a bad
 * expression is refused at start) and the daemon's cron trigger.
 *
 * Syntax: 5 fields "minute hour day-of-month month day-of-week", or 6 with
 * leading seconds. Each field is a comma list of items; an item is `*` (or
 * `?`), a value, a range `a-b`, each optionally followed by a step `/n`
 * (`a/n` means from a to the field's maximum). Months take jan..dec and
 * days of week sun..sat (case-insensitive); day of week 7 is Sunday too.
 * Macros: @yearly @annually @monthly @weekly @daily @midnight @hourly.
 *
 * Day rule (Vixie cron, POSIX): when both day-of-month and day-of-week are
 * restricted (neither field starts with `*` or `?`), a day matches if
 * EITHER matches; otherwise both must (the `*` one always does).
 *
 * Times are the local time zone's wall clock (TZ), like cron. A local time
 * skipped by a DST change never fires. In an hour a DST change repeats, an
 * expression with fixed hours and minutes fires once (the first pass), one
 * with a wildcard hour or minute fires in both passes (Vixie cron). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cron_expr {
    uint64_t seconds; /* bit s set: second s (0..59) matches */
    uint64_t minutes; /* bit m: minute 0..59 */
    uint32_t hours;   /* bit h: hour 0..23 */
    uint32_t mdays;   /* bit d: day of month 1..31 */
    uint16_t months;  /* bit m: month 1..12 */
    uint8_t wdays;    /* bit w: day of week 0..6, 0 = Sunday */
    uint8_t mday_any; /* day-of-month field started with * or ? */
    uint8_t wday_any; /* day-of-week field started with * or ? */
};

/* Longest expression accepted, in bytes. */
#define CRON_EXPR_MAX_LEN 256

/* Parses text into *out. Returns 0, or -EINVAL with a lowercase reason in
 * err (e.g. "field 3 (day of month): 32 is out of range 1-31"); also
 * refuses an expression that can never fire ("30 0 31 2 *"). */
int cron_parse(const char *text, struct cron_expr *out, char *err, size_t errlen);

/* Stores in *next the first matching second strictly after `after` (a
 * Unix time), in the local time zone. Returns 0, or -ENOENT when nothing
 * matches within the next 29 years (weekdays and dates line up again within
 * 28 years, so such an expression never fires). */
int cron_next(const struct cron_expr *e, time_t after, time_t *next);

#define CRON_MAX_FIRST_WAIT_S (5LL * 366 * 86400)

/* Refuses (-EINVAL, reason in err) an expression that, from now, never
 * fires or first fires more than CRON_MAX_FIRST_WAIT_S later (such as
 * "0 9 1/7 3 STAR/7": days 1, 8, ... of March that are also Sundays, once a
 * decade): what a user typed was not what they meant. Returns 0 otherwise. */
int cron_check_reachable(const struct cron_expr *e, time_t now, char *err, size_t errlen);
