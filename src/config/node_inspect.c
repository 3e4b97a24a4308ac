/* node_inspect.c - Node's inspector port per cluster instance (node_inspect.h). */
#include "config/node_inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* If arg is flag or flag=value, returns the value ("" for none), else NULL. */
static const char *flag_value(const char *arg, const char *flag)
{
    size_t n = strlen(flag);
    if (strncmp(arg, flag, n) != 0)
        return NULL;
    if (arg[n] == '\0')
        return "";
    return arg[n] == '=' ? arg + n + 1 : NULL;
}

/* The port of "[host:]port" (hosts may be [v6] or hold ':'), or -1 when
 * the text ends in no port (a host alone). */
static long port_of(const char *value)
{
    const char *colon = strrchr(value, ':');
    const char *digits = colon ? colon + 1 : value;
    if (!*digits || (colon && strchr(digits, ']')))
        return -1;
    char *end;
    long port = strtol(digits, &end, 10);
    if (*end || port < 0 || port > 65535)
        return -1;
    return port;
}

int node_inspect_port(const char *const *args, size_t n, int slot)
{
    static const char *const enabling[] = {"--inspect", "--inspect-brk", "--inspect-wait"};
    static const char *const port_only[] = {"--inspect-port", "--debug-port"};
    int enabled = 0;
    long base = NODE_INSPECT_DEFAULT_PORT;
    for (size_t i = 0; i < n; i++) {
        if (!args[i])
            continue;
        for (size_t k = 0; k < sizeof(enabling) / sizeof(enabling[0]); k++) {
            const char *v = flag_value(args[i], enabling[k]);
            if (!v)
                continue;
            enabled = 1;
            if (*v && port_of(v) >= 0)
                base = port_of(v);
        }
        for (size_t k = 0; k < sizeof(port_only) / sizeof(port_only[0]); k++) {
            const char *v = flag_value(args[i], port_only[k]);
            if (v && *v && port_of(v) >= 0)
                base = port_of(v);
        }
    }
    if (!enabled || slot < 0 || base == 0 || base + slot > 65535)
        return 0;
    return (int)(base + slot);
}

char *node_inspect_port_arg(int port, char *out, size_t len)
{
    snprintf(out, len, "--inspect-port=%d", port);
    return out;
}
