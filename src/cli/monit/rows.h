/* rows.h - the process list of `drover monit`: the daemon's brief process
 * objects (daemon/state/describe.h) turned into rows, one per instance,
 * sorted by app name then id, with a header row first for an app of more
 * than one instance (its totals). Each row keeps its history (history.h)
 * from one list reply to the next; an app's header keeps whether its
 * instances are folded.
 *
 * Ownership: struct monit_rows owns its items, their names and histories;
 * rows_free releases them. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/monit/history.h"

/* What actions and the log pane aim at: an app name, or an instance id. */
#define ROWS_TARGET_MAX 256

struct monit_row {
    char *name;           /* app name; owned */
    int64_t id;           /* instance id; -1 on an app's header row */
    int grouped;          /* an instance row under a header */
    int n_instances;      /* header rows: instances of the app */
    int n_online;         /* header rows: those online */
    char status[24];      /* "online", "stopped", ...; a header: "online 2/3" when mixed */
    int state;            /* status as an enum inst_status (proto/status.h); -1: a word
                           * unknown here, or a header of mixed statuses */
    int status_class;     /* ROWS_OK, ROWS_BAD, ROWS_BUSY, ROWS_OFF (colours) */
    int64_t pid;          /* main process (instances), 0 when not running */
    double cpu;           /* % of one core (a header: the sum) */
    uint64_t memory;      /* bytes (a header: the sum) */
    int64_t restarts;     /* (a header: the sum) */
    int64_t uptime_ms;    /* (a header: the longest) */
    int64_t conns_open;   /* connections held, -1 unknown (a header: the sum of known) */
    int64_t accepted;     /* connections accepted, -1 unknown (a header: the sum of known) */
    double accept_rate;   /* accepts a second (a header: the sum) */
    int folded;           /* header rows: instances hidden */
    struct history *hist; /* owned; NULL when out of memory */
};

enum { ROWS_OK, ROWS_BAD, ROWS_BUSY, ROWS_OFF };

struct monit_rows {
    struct monit_row *items;
    size_t n;
};

/* Replaces rows with those of processes (a JSON array of process objects),
 * carries each row's history and fold over from the row of the same app and
 * id, and records sample seq in every history. Returns 0, or -ENOMEM (rows
 * then unchanged). */
int rows_update(struct monit_rows *rows, json_t *processes, uint64_t seq);

/* True when row i is shown (not an instance of a folded app). */
int rows_visible(const struct monit_rows *rows, size_t i);

/* Writes what row aims at into buf (ROWS_TARGET_MAX bytes): its app's name,
 * or the instance id for an instance under a header. */
void rows_target(const struct monit_row *row, char *buf);

/* Index of the row of app name and id (-1: the header), or -1 when gone. */
long rows_find(const struct monit_rows *rows, const char *name, int64_t id);

/* Frees every row; rows can be reused after. */
void rows_free(struct monit_rows *rows);
