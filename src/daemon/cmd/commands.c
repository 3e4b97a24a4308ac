/* commands.c - the table from "cmd" names to handlers. */
#include "daemon/cmd/commands.h"

#include <string.h>

static const struct {
    const char *name;
    command_fn fn;
} table[] = {
    {"ping", cmd_ping},           {"list", cmd_list},     {"describe", cmd_describe},
    {"start", cmd_start},         {"stop", cmd_stop},     {"restart", cmd_restart},
    {"delete", cmd_delete},       {"reset", cmd_reset},   {"signal", cmd_signal},
    {"kill", cmd_kill},           {"update", cmd_update}, {"reload_logs", cmd_reload_logs},
    {"flush", cmd_flush},         {"reload", cmd_reload}, {"scale", cmd_scale},
    {"apply", cmd_apply},         {"save", cmd_save},     {"resurrect", cmd_resurrect},
    {"cleardump", cmd_cleardump}, {"send", cmd_send},     {"env", cmd_env},
    {"dashboard", cmd_dashboard},
};

command_fn command_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].fn;
    return NULL;
}
