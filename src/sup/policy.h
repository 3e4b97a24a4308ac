/* policy.h - the restart policy, as a pure function (unit-tested).
 *
 * PM2's semantics: a run shorter than min_uptime is "unstable"; after
 * max_restarts consecutive unstable runs the instance is errored. A run that
 * lasted min_uptime resets the unstable count. exp_backoff_restart_delay
 * starts at its value and grows 1.5x per consecutive restart up to 15 s, and
 * resets after a run of 30 s. Exit codes listed in stop_exit_codes, or
 * autorestart off, leave the instance stopped. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define POLICY_BACKOFF_MAX_MS 15000
#define POLICY_BACKOFF_RESET_MS 30000

struct restart_policy {
    int autorestart;
    int64_t min_uptime_ms;
    int64_t max_restarts;
    int64_t restart_delay_ms;
    int64_t exp_backoff_ms; /* 0: off */
    const int *stop_exit_codes;
    size_t n_stop_exit_codes;
};

struct restart_counters {
    int64_t restarts;          /* every restart, PM2's restart_time */
    int64_t unstable_restarts; /* consecutive runs shorter than min_uptime */
    int64_t backoff_ms;        /* current exponential backoff delay */
};

enum restart_action { RESTART_AFTER_DELAY, RESTART_NO_STOPPED, RESTART_NO_ERRORED };

struct restart_decision {
    enum restart_action action;
    int64_t delay_ms; /* for RESTART_AFTER_DELAY */
    char reason[160]; /* human-readable, for describe */
};

/* Decides what to do after an unrequested exit. exit_code is the exit
 * status, or -1 when killed by signal (signo then > 0); uptime_ms is how
 * long the run lasted. Updates *c's unstable count and backoff (the
 * restart is counted in restarts when it happens, instance.c). */
void policy_decide(const struct restart_policy *p, struct restart_counters *c, int exit_code,
                   int signo, int64_t uptime_ms, struct restart_decision *out);
