/* targets.c - resolving command targets. */
#include "daemon/targets.h"
#include "config/app_config.h"
#include "daemon/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int targets_resolve(const struct daemon *d, json_t *req, struct inst ***out, size_t *n, char *err,
                    size_t errlen)
{
    json_t *targets = json_object_get(req, "targets");
    *out = NULL;
    *n = 0;
    if (!json_is_array(targets) || json_array_size(targets) == 0) {
        snprintf(err, errlen, "no target given (a name, an id, a namespace or all)");
        return -EINVAL;
    }
    size_t i;
    json_t *t;
    json_array_foreach(targets, i, t)
    {
        const char *s = json_string_value(t);
        if (!s) {
            snprintf(err, errlen, "targets must be strings");
            free(*out);
            *out = NULL;
            return -EINVAL;
        }
        int r = registry_resolve(&d->reg, s, out, n);
        if (r < 0) {
            snprintf(err, errlen, "process or namespace '%s' not found", s);
            free(*out);
            *out = NULL;
            *n = 0;
            return r;
        }
    }
    return 0;
}

int64_t targets_max_kill_timeout(struct inst **insts, size_t n)
{
    int64_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t k = cfg_int(insts[i]->app->config, "kill_timeout", CFG_DEFAULT_KILL_TIMEOUT_MS);
        if (k > m)
            m = k;
    }
    return m;
}
