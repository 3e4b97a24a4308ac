/* runtime_exit.c - the exit code of a runtime whose apps all ended. */
#include "runtime/runtime_exit.h"
#include "base/parse.h"
#include "proto/status.h"

/* The code an instance at rest stands for. */
static int instance_code(json_t *p, int errored)
{
    const char *reason = json_string_value(json_object_get(p, "reason"));
    json_t *exit_code = json_object_get(p, "exit_code");
    const char *sig_name = json_string_value(json_object_get(p, "exit_signal"));
    int sig;
    /* stopped with no reason: a stop someone asked for */
    if (!errored && (!reason || !*reason))
        return 0;
    if (json_is_integer(exit_code) && json_integer_value(exit_code) > 0)
        return (int)(json_integer_value(exit_code) & 0xff);
    if (sig_name && parse_signal(sig_name, &sig) == 0 && sig > 0)
        return 128 + sig;
    return errored ? 1 : 0;
}

int runtime_exit_code(json_t *processes, int *code)
{
    size_t i;
    json_t *p;
    int best = 0, any_errored = 0;
    json_array_foreach(processes, i, p)
    {
        int status = status_from_name(json_string_value(json_object_get(p, "status")));
        if (status < 0 || !status_is_at_rest((enum inst_status)status))
            return 0;
        int errored = status == STATUS_ERRORED;
        any_errored |= errored;
        int c = instance_code(p, errored);
        if (c > best)
            best = c;
    }
    *code = any_errored && best == 0 ? 1 : best;
    return 1;
}
