/* ls_rows.h - the rows of the `ls` table as plain structs: parsed in place
 * from the daemon's compact listing (proto/ls_rows.h) or taken from
 * canonical process objects (daemon/state/describe.h), sorted like any
 * process list (proc_sort.h) and handed to render.h. With 1,000 apps this
 * is what keeps `ls` from spending its time building a JSON tree. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "cli/proc_sort.h"

struct ls_row {
    long long id, pid, restarts, uptime_ms, memory;
    double cpu;
    const char *name, *namespace, *mode, *status;
};

struct ls_rows {
    struct ls_row *rows;
    size_t n;
    char *text; /* owns the strings of rows parsed from text, else NULL */
};

/* Parses the daemon's rows text (copied; rows point into the copy).
 * Returns 0, -EPROTO for a line that is not LS_ROWS_NFIELDS fields, or
 * -ENOMEM. Free with ls_rows_free. */
int ls_rows_parse(struct ls_rows *out, const char *text, size_t len);

/* Takes the table's fields from an array of process objects; the strings
 * are borrowed from processes, which must outlive out. Returns 0 or
 * -ENOMEM. Free with ls_rows_free. */
int ls_rows_from_json(struct ls_rows *out, json_t *processes);

/* Sorts the rows like proc_sort_apply sorts process objects. */
void ls_rows_sort(struct ls_rows *rows, const struct proc_sort *s);

void ls_rows_free(struct ls_rows *rows);
