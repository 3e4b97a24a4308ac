/* proc_sort.h - the order of process lists people read: PM2 sorts `ls`
 * (and the table printed after every action) by name; `ls --sort
 * <field>[:asc|desc]` picks another field. Ties keep id order. Fields:
 * name, namespace, id, pid, cpu, memory, uptime (how long it has run; 0
 * when stopped), status, restarts. */
#pragma once

#include <jansson.h>

struct proc_sort {
    const char *key; /* in the canonical process object (daemon/describe.h) */
    int is_text;
    int descending;
};

/* By name, ascending. */
#define PROC_SORT_BY_NAME ((struct proc_sort){.key = "name", .is_text = 1})

/* Parses "<field>[:asc|desc]" into *s. Returns 0, or -EINVAL with a
 * message for the user in err (errlen bytes). */
int proc_sort_parse(const char *text, struct proc_sort *s, char *err, size_t errlen);

/* Sorts the array of process objects in place (unchanged when memory is
 * short). */
void proc_sort_apply(json_t *processes, const struct proc_sort *s);
