/* cmd_doctor.c - `drover doctor`: what this machine supports (doctor.h),
 * one line per capability and a hint under each missing one; --json: an
 * array of {check, status, detail, hint}. Exit 1 when something drover
 * cannot run apps without is missing, else 0. */
#include "cli/cli.h"
#include "cli/doctor.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const level_names[] = {
    [DOCTOR_OK] = "ok",
    [DOCTOR_WARN] = "warn",
    [DOCTOR_MISSING] = "missing",
};

/* green, yellow, red */
static const char *const level_colors[] = {
    [DOCTOR_OK] = "\033[32m",
    [DOCTOR_WARN] = "\033[33m",
    [DOCTOR_MISSING] = "\033[31m",
};

static int print_json(const struct doctor_row *rows, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?}", "check", rows[i].check,
                                             "status", level_names[rows[i].level], "detail",
                                             rows[i].detail, "hint", rows[i].hint));
    return cli_print_json(arr);
}

int cmd_doctor(struct cli *c)
{
    if (c->argc > 0)
        return cli_usage("usage: drover doctor [--json]");
    struct doctor_row rows[DOCTOR_MAX_ROWS];
    size_t n = doctor_run(c, rows);
    int missing = 0;
    for (size_t i = 0; i < n; i++)
        missing |= rows[i].level == DOCTOR_MISSING;
    if (c->json) {
        int r = print_json(rows, n);
        return r ? r : missing;
    }
    printf("drover %s on this machine:\n", DROVER_VERSION);
    for (size_t i = 0; i < n; i++) {
        const struct doctor_row *row = &rows[i];
        printf("  %s%-7s%s %-16s %s\n", c->color ? level_colors[row->level] : "",
               level_names[row->level], c->color ? "\033[0m" : "", row->check, row->detail);
        if (row->hint)
            printf("  %-7s %-16s hint: %s\n", "", "", row->hint);
    }
    if (missing)
        printf("drover cannot run apps here until what is missing is there\n");
    return missing;
}
