/* status.c - the status of an instance (status.h). */
#include "proto/status.h"

#include <string.h>

static const struct {
    const char *name, *pm2;
} table[STATUS__COUNT] = {
    [STATUS_STOPPED] = {"stopped", "stopped"},
    [STATUS_LAUNCHING] = {"launching", "launching"},
    [STATUS_ONLINE] = {"online", "online"},
    [STATUS_STOPPING] = {"stopping", "stopping"},
    [STATUS_WAITING] = {"waiting restart", "waiting restart"},
    [STATUS_ERRORED] = {"errored", "errored"},
    [STATUS_EXITING] = {"exiting", "stopping"},
    [STATUS_ADOPTING] = {"adopting", "launching"},
    [STATUS_LOST] = {"lost", "waiting restart"},
};

const char *status_name(enum inst_status s)
{
    return (unsigned)s < STATUS__COUNT ? table[s].name : "unknown";
}

const char *status_pm2_name(enum inst_status s)
{
    return (unsigned)s < STATUS__COUNT ? table[s].pm2 : "stopped";
}

int status_from_name(const char *s)
{
    for (int i = 0; s && i < STATUS__COUNT; i++)
        if (strcmp(table[i].name, s) == 0)
            return i;
    return -1;
}

int status_has_process(enum inst_status s)
{
    return s == STATUS_LAUNCHING || s == STATUS_ONLINE || s == STATUS_STOPPING;
}

int status_is_at_rest(enum inst_status s)
{
    return s == STATUS_STOPPED || s == STATUS_ERRORED;
}
