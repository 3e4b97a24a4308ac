/* cron.c - restart an app on its cron_restart schedule.
 *
 * The next fire time is computed from the wall clock every time the timer
 * is armed, and the loop's (monotonic) timer never sleeps longer than a
 * minute: after a clock jump or a suspend the schedule follows the new
 * wall time within a minute, and fire times skipped by a jump forward are
 * coalesced into one restart. */
#include "base/log.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "config/cron_expr.h"
#include "daemon/triggers/trigger.h"
#include "loop/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define CRON_MAX_SLEEP_MS 60000

struct app_cron {
    struct daemon *d;
    struct app *app;
    struct cron_expr expr;
    int64_t timer;
    time_t next;       /* the fire time the timer waits for, 0 if none */
    time_t last_fired; /* never fire the same second twice */
};

static void on_cron_timer(struct ev_loop *loop, void *data);

static void cron_arm(struct app_cron *ac)
{
    int64_t now = wall_ms();
    time_t after = (time_t)(now / 1000);
    if (after < ac->last_fired && ac->last_fired - after < 2)
        after = ac->last_fired; /* the clock stepped back a little */
    time_t next;
    if (cron_next(&ac->expr, after, &next) < 0) {
        log_warn("app '%s': cron_restart never fires again", ac->app->name);
        ac->next = 0;
        return;
    }
    ac->next = next;
    int64_t delay = (int64_t)next * 1000 - now;
    if (delay > CRON_MAX_SLEEP_MS)
        delay = CRON_MAX_SLEEP_MS;
    ac->timer = ev_timer_add(ac->d->loop, delay > 0 ? delay : 0, on_cron_timer, ac);
}

static void on_cron_timer(struct ev_loop *loop, void *data)
{
    struct app_cron *ac = data;
    (void)loop;
    ac->timer = 0;
    if (ac->next && wall_ms() >= (int64_t)ac->next * 1000) {
        char why[CRON_EXPR_MAX_LEN + 16];
        const char *text = (ac->app->cfg.cron_restart ? ac->app->cfg.cron_restart : "");
        snprintf(why, sizeof(why), "cron_restart %s", text);
        log_info("app '%s': %s: restarting", ac->app->name, why);
        ac->last_fired = ac->next;
        trigger_restart_app(ac->d, ac->app, why);
    }
    cron_arm(ac);
}

int cron_app_add(struct daemon *d, struct app *app, struct app_cron **out)
{
    *out = NULL;
    const char *text = app->cfg.cron_restart;
    if (!text || !*text)
        return 0;
    struct app_cron *ac = calloc(1, sizeof(*ac));
    if (!ac)
        return -ENOMEM;
    char err[256];
    if (cron_parse(text, &ac->expr, err, sizeof(err)) < 0) {
        /* refused at start; only an old state.json can hold one */
        log_error("app '%s': cron_restart '%s' ignored: %s", app->name, text, err);
        free(ac);
        return 0;
    }
    ac->d = d;
    ac->app = app;
    cron_arm(ac);
    *out = ac;
    return 0;
}

void cron_app_remove(struct daemon *d, struct app_cron *ac)
{
    ev_timer_cancel(d->loop, ac->timer);
    free(ac);
}
