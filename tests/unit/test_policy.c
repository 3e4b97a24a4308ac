/* Unit tests for sup/policy.c: the restart policy with PM2's semantics as
 * policy.h documents them. Each case is a policy, the counters it starts
 * from and a sequence of exits; every exit lists the decision and the
 * counters expected after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sup/policy.h"

#define MAX_STEPS 24
#define END_CODE (-1000) /* ends a case's steps */

struct exit_step {
    int exit_code; /* -1: killed by signo */
    int signo;
    int64_t uptime_ms;
    enum restart_action action;
    int64_t delay_ms;                       /* checked for RESTART_AFTER_DELAY */
    int64_t restarts, unstable, backoff_ms; /* counters after the decision (restarts: and
                                             * after the restart it leads to) */
    const char *reason_has;                 /* a part of the reason, or NULL */
};

struct policy_case {
    const char *what;
    struct restart_policy policy;
    struct restart_counters start;
    struct exit_step steps[MAX_STEPS];
};

/* clang-format off */
#define AFTER RESTART_AFTER_DELAY
#define STOPPED RESTART_NO_STOPPED
#define ERRORED RESTART_NO_ERRORED
#define CODE(c, up) (c), 0, (up)
#define SIG(s, up) -1, (s), (up)
#define END                                                                                        \
    {                                                                                              \
        .exit_code = END_CODE                                                                      \
    }

static const int stop_codes[] = {0, 42};

/* autorestart, min_uptime, max_restarts, restart_delay, exp_backoff */
#define POLICY(ar, up, max, delay, backoff)                                                        \
    {                                                                                              \
        .autorestart = (ar), .min_uptime_ms = (up), .max_restarts = (max),                         \
        .restart_delay_ms = (delay), .exp_backoff_ms = (backoff)                                   \
    }

/* The backoff sequence from 100 ms: x1.5 (integer ms), capped at 15 s. */
#define BACKOFF_STEPS                                                                              \
    {CODE(1, 5000), AFTER, 100, 1, 0, 100, NULL}, {CODE(1, 5000), AFTER, 150, 2, 0, 150, NULL},    \
        {CODE(1, 5000), AFTER, 225, 3, 0, 225, NULL},                                              \
        {CODE(1, 5000), AFTER, 337, 4, 0, 337, NULL},                                              \
        {CODE(1, 5000), AFTER, 505, 5, 0, 505, NULL},                                              \
        {CODE(1, 5000), AFTER, 757, 6, 0, 757, NULL},                                              \
        {CODE(1, 5000), AFTER, 1135, 7, 0, 1135, NULL},                                            \
        {CODE(1, 5000), AFTER, 1702, 8, 0, 1702, NULL},                                            \
        {CODE(1, 5000), AFTER, 2553, 9, 0, 2553, NULL},                                            \
        {CODE(1, 5000), AFTER, 3829, 10, 0, 3829, NULL},                                           \
        {CODE(1, 5000), AFTER, 5743, 11, 0, 5743, NULL},                                           \
        {CODE(1, 5000), AFTER, 8614, 12, 0, 8614, NULL},                                           \
        {CODE(1, 5000), AFTER, 12921, 13, 0, 12921, NULL},                                         \
        {CODE(1, 5000), AFTER, 15000, 14, 0, 15000, NULL},                                         \
        {CODE(1, 5000), AFTER, 15000, 15, 0, 15000, NULL}

static const struct policy_case cases[] = {
    {"unstable runs are counted; max_restarts of them in a row is errored",
     POLICY(1, 1000, 3, 0, 0),
     {0, 0, 0},
     {
         {CODE(1, 10), AFTER, 0, 1, 1, 0, "exit code 1"},
         {CODE(1, 10), AFTER, 0, 2, 2, 0, NULL},
         {CODE(1, 999), ERRORED, 0, 2, 3, 0, "max_restarts"},
         END,
     }},
    {"a run that lasted min_uptime resets the unstable count",
     POLICY(1, 1000, 3, 0, 0),
     {0, 0, 0},
     {
         {CODE(1, 10), AFTER, 0, 1, 1, 0, NULL},
         {CODE(1, 10), AFTER, 0, 2, 2, 0, NULL},
         {CODE(0, 1000), AFTER, 0, 3, 0, 0, "exit code 0"}, /* exactly min_uptime */
         {CODE(1, 10), AFTER, 0, 4, 1, 0, NULL},
         {CODE(1, 999), AFTER, 0, 5, 2, 0, NULL},
         {CODE(1, 0), ERRORED, 0, 5, 3, 0, NULL},
         END,
     }},
    {"max_restarts 1: the first unstable run is errored, a stable one restarts",
     POLICY(1, 1000, 1, 0, 0),
     {0, 0, 0},
     {
         {CODE(1, 5000), AFTER, 0, 1, 0, 0, NULL},
         {CODE(1, 10), ERRORED, 0, 1, 1, 0, NULL},
         END,
     }},
    {"min_uptime 0: no run is unstable",
     POLICY(1, 0, 1, 0, 0),
     {0, 0, 0},
     {
         {CODE(1, 0), AFTER, 0, 1, 0, 0, NULL},
         {CODE(1, 0), AFTER, 0, 2, 0, 0, NULL},
         END,
     }},
    {"restart_delay is the delay of every restart",
     POLICY(1, 1000, 16, 250, 0),
     {0, 0, 0},
     {
         {CODE(1, 5000), AFTER, 250, 1, 0, 0, NULL},
         {CODE(1, 10), AFTER, 250, 2, 1, 0, "250 ms"},
         {SIG(SIGTERM, 10), AFTER, 250, 3, 2, 0, NULL},
         END,
     }},
    {"restarts carries on from a predecessor's count",
     POLICY(1, 1000, 16, 0, 0),
     {41, 0, 0},
     {
         {CODE(2, 5000), AFTER, 0, 42, 0, 0, NULL},
         END,
     }},
    {"exp_backoff starts at its value, grows x1.5 up to 15 s, resets after 30 s up",
     POLICY(1, 1000, 16, 0, 100),
     {0, 0, 0},
     {
         BACKOFF_STEPS,
         {CODE(1, 29999), AFTER, 15000, 16, 0, 15000, NULL}, /* not 30 s yet */
         {CODE(1, 30000), AFTER, 100, 17, 0, 100, NULL},     /* 30 s: starts over */
         {CODE(1, 5000), AFTER, 150, 18, 0, 150, NULL},
         {SIG(SIGKILL, 60000), AFTER, 100, 19, 0, 100, NULL},
         END,
     }},
    {"exp_backoff replaces restart_delay (PM2)",
     POLICY(1, 1000, 16, 2000, 500),
     {0, 0, 0},
     {
         {CODE(1, 5000), AFTER, 500, 1, 0, 500, NULL},
         {CODE(1, 5000), AFTER, 750, 2, 0, 750, NULL},
         END,
     }},
    {"exp_backoff still counts unstable runs: max_restarts is errored",
     POLICY(1, 1000, 2, 0, 100),
     {0, 0, 0},
     {
         {CODE(1, 10), AFTER, 100, 1, 1, 100, NULL},
         {CODE(1, 10), ERRORED, 0, 1, 2, 100, NULL},
         END,
     }},
    {"exit codes in stop_exit_codes leave the instance stopped, others restart",
     {.autorestart = 1,
      .min_uptime_ms = 1000,
      .max_restarts = 16,
      .stop_exit_codes = stop_codes,
      .n_stop_exit_codes = 2},
     {0, 0, 0},
     {
         {CODE(42, 10), STOPPED, 0, 0, 0, 0, "stop_exit_codes"},
         {CODE(0, 5000), STOPPED, 0, 0, 0, 0, "exit code 0"},
         {CODE(1, 10), AFTER, 0, 1, 1, 0, NULL},
         /* a signal death has no exit code: never a stop code */
         {SIG(SIGINT, 10), AFTER, 0, 2, 2, 0, "SIGINT"},
         {CODE(42, 10), STOPPED, 0, 2, 2, 0, NULL},
         END,
     }},
    {"autorestart off: every exit leaves the instance stopped",
     POLICY(0, 1000, 1, 100, 100),
     {3, 0, 0},
     {
         {CODE(1, 10), STOPPED, 0, 3, 0, 0, "autorestart"},
         {SIG(SIGKILL, 10), STOPPED, 0, 3, 0, 0, "SIGKILL"},
         {CODE(0, 100000), STOPPED, 0, 3, 0, 0, NULL},
         END,
     }},
    {"signal deaths are exits like any other",
     POLICY(1, 1000, 2, 0, 0),
     {0, 0, 0},
     {
         {SIG(SIGTERM, 60000), AFTER, 0, 1, 0, 0, "signal SIGTERM"},
         {SIG(SIGKILL, 10), AFTER, 0, 2, 1, 0, "signal SIGKILL"},
         {SIG(SIGSEGV, 10), ERRORED, 0, 2, 2, 0, "SIGSEGV"},
         END,
     }},
};
/* clang-format on */

static void run_case(const struct policy_case *pc)
{
    struct restart_counters c = pc->start;
    for (size_t i = 0; i < MAX_STEPS && pc->steps[i].exit_code != END_CODE; i++) {
        const struct exit_step *s = &pc->steps[i];
        struct restart_decision d;
        memset(&d, 0x5a, sizeof(d));
        policy_decide(&pc->policy, &c, s->exit_code, s->signo, s->uptime_ms, &d);
        /* the decision leaves restarts alone: the instance counts the
         * restart when it runs it, after the delay (instance.c) */
        if (d.action == AFTER)
            c.restarts++;
        if (d.action != s->action || (s->action == AFTER && d.delay_ms != s->delay_ms) ||
            c.restarts != s->restarts || c.unstable_restarts != s->unstable ||
            c.backoff_ms != s->backoff_ms)
            fail_msg("%s: exit %zu (code %d, signal %d, up %lld ms): got action %d delay %lld "
                     "restarts %lld unstable %lld backoff %lld, expected action %d delay %lld "
                     "restarts %lld unstable %lld backoff %lld (%s)",
                     pc->what, i + 1, s->exit_code, s->signo, (long long)s->uptime_ms, d.action,
                     (long long)d.delay_ms, (long long)c.restarts, (long long)c.unstable_restarts,
                     (long long)c.backoff_ms, s->action, (long long)s->delay_ms,
                     (long long)s->restarts, (long long)s->unstable, (long long)s->backoff_ms,
                     d.reason);
        if (!memchr(d.reason, '\0', sizeof(d.reason)) || !d.reason[0])
            fail_msg("%s: exit %zu: no reason", pc->what, i + 1);
        if (s->reason_has && !strstr(d.reason, s->reason_has))
            fail_msg("%s: exit %zu: reason '%s' lacks '%s'", pc->what, i + 1, d.reason,
                     s->reason_has);
    }
}

static void test_policy_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

/* Every stop code of a full list is honoured, the first and the last. */
static void test_many_stop_codes(void **state)
{
    (void)state;
    int codes[32];
    for (int i = 0; i < 32; i++)
        codes[i] = 100 + i;
    struct restart_policy p = {.autorestart = 1,
                               .min_uptime_ms = 1000,
                               .max_restarts = 16,
                               .stop_exit_codes = codes,
                               .n_stop_exit_codes = 32};
    for (int code = 99; code <= 132; code++) {
        struct restart_counters c = {0, 0, 0};
        struct restart_decision d;
        policy_decide(&p, &c, code, 0, 5000, &d);
        enum restart_action want = code >= 100 && code <= 131 ? STOPPED : AFTER;
        if (d.action != want)
            fail_msg("exit code %d: action %d, expected %d", code, d.action, want);
    }
}

/* A signal number that happens to equal a stop code is not an exit code. */
static void test_signal_is_not_a_stop_code(void **state)
{
    (void)state;
    static const int codes[] = {SIGTERM, SIGKILL};
    struct restart_policy p = {.autorestart = 1,
                               .min_uptime_ms = 1000,
                               .max_restarts = 16,
                               .stop_exit_codes = codes,
                               .n_stop_exit_codes = 2};
    struct restart_counters c = {0, 0, 0};
    struct restart_decision d;
    policy_decide(&p, &c, -1, SIGTERM, 5000, &d);
    assert_int_equal(d.action, AFTER);
    policy_decide(&p, &c, -1, SIGKILL, 5000, &d);
    assert_int_equal(d.action, AFTER);
    assert_int_equal(c.restarts, 0); /* counted when the restart runs */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_cases),
        cmocka_unit_test(test_many_stop_codes),
        cmocka_unit_test(test_signal_is_not_a_stop_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
