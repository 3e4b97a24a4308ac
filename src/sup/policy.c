/* policy.c - the restart policy, as a pure function. */
#include "sup/policy.h"
#include "base/parse.h"

#include <stdio.h>
#include <string.h>

static int is_stop_code(const struct restart_policy *p, int exit_code)
{
    for (size_t i = 0; i < p->n_stop_exit_codes; i++)
        if (p->stop_exit_codes[i] == exit_code)
            return 1;
    return 0;
}

static void describe_exit(char *buf, size_t len, int exit_code, int signo)
{
    if (exit_code >= 0)
        snprintf(buf, len, "exit code %d", exit_code);
    else {
        const char *n = signal_name(signo);
        if (n)
            snprintf(buf, len, "signal %s", n);
        else
            snprintf(buf, len, "signal %d", signo);
    }
}

void policy_decide(const struct restart_policy *p, struct restart_counters *c, int exit_code,
                   int signo, int64_t uptime_ms, struct restart_decision *out)
{
    char how[48];
    describe_exit(how, sizeof(how), exit_code, signo);
    memset(out, 0, sizeof(*out));

    if (!p->autorestart) {
        out->action = RESTART_NO_STOPPED;
        snprintf(out->reason, sizeof(out->reason), "exited with %s; autorestart is off", how);
        return;
    }
    if (exit_code >= 0 && is_stop_code(p, exit_code)) {
        out->action = RESTART_NO_STOPPED;
        snprintf(out->reason, sizeof(out->reason), "exited with %s, listed in stop_exit_codes",
                 how);
        return;
    }
    if (uptime_ms < p->min_uptime_ms)
        c->unstable_restarts++;
    else
        c->unstable_restarts = 0;
    if (c->unstable_restarts > 0 && c->unstable_restarts >= p->max_restarts) {
        out->action = RESTART_NO_ERRORED;
        snprintf(out->reason, sizeof(out->reason),
                 "exited %lld times in a row within min_uptime (%lld ms), last with %s; "
                 "max_restarts (%lld) reached",
                 (long long)c->unstable_restarts, (long long)p->min_uptime_ms, how,
                 (long long)p->max_restarts);
        return;
    }

    int64_t delay = p->restart_delay_ms;
    if (p->exp_backoff_ms > 0) {
        if (uptime_ms >= POLICY_BACKOFF_RESET_MS || c->backoff_ms == 0)
            c->backoff_ms = p->exp_backoff_ms;
        else {
            c->backoff_ms = c->backoff_ms * 3 / 2;
            if (c->backoff_ms > POLICY_BACKOFF_MAX_MS)
                c->backoff_ms = POLICY_BACKOFF_MAX_MS;
        }
        delay = c->backoff_ms;
    }
    out->action = RESTART_AFTER_DELAY;
    out->delay_ms = delay;
    snprintf(out->reason, sizeof(out->reason), "exited with %s; restarting in %lld ms", how,
             (long long)delay);
}
