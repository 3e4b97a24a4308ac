/* probes.c - liveness and readiness from the registry (probes.h). */
#include "daemon/http/probes.h"
#include "daemon/state/registry.h"
#include "proto/status.h"
#include "runtime/drain_flag.h"

#include <stdarg.h>
#include <stdio.h>

int probes_live(const struct daemon *d, struct strbuf *body)
{
    /* an app whose every instance wanted running is errored: drover gave
     * up on it, restarting the container is what helps */
    for (size_t i = 0; i < d->reg.n_apps; i++) {
        const struct app *app = d->reg.by_name[i];
        size_t wanted = 0, errored = 0;
        for (size_t k = 0; k < d->reg.n_insts; k++) {
            const struct inst *in = d->reg.insts[k];
            if (in->app != app || in->deleting || !in->want_running)
                continue;
            wanted++;
            errored += inst_status(in) == STATUS_ERRORED;
        }
        if (wanted > 0 && errored == wanted) {
            int r = strbuf_printf(body, "%s: every instance is errored\n", app->name);
            return r < 0 ? r : 503;
        }
    }
    int r = strbuf_puts(body, "ok\n");
    return r < 0 ? r : 200;
}

/* Why an instance of an app that should run is not ready; NULL when it is. */
static const char *inst_unready(const struct inst *in, int serves)
{
    enum inst_status st = inst_status(in);
    if (!in->want_running)
        return "stopped";
    if (st != STATUS_ONLINE)
        return status_name(st);
    if (!in->snap.ready)
        return "not ready yet";
    if (serves && !in->snap.serving)
        return "not serving yet";
    return NULL;
}

/* Writes the reason into body. Returns status, or a negative errno. */
static int answer(struct strbuf *body, int status, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int answer(struct strbuf *body, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = strbuf_vprintf(body, fmt, ap);
    va_end(ap);
    return r < 0 ? r : status;
}

static int answer_inst(struct strbuf *body, const struct inst *in, const char *why)
{
    return answer(body, 503, "%s: instance %lld is %s\n", in->app->name, (long long)in->id, why);
}

/* One app (runtime/readiness.h's rule, the same as `drover probe ready`):
 * 200 when it is not draining and one of its instances wanted running is
 * online, ready and, for an app that serves, serving; else 503 naming the
 * first such instance and why (or "stopped" when none is wanted running). */
static int app_ready(struct daemon *d, const struct app *app, struct strbuf *body)
{
    if (drain_flag_is_set(&d->paths, app->name))
        return answer(body, 503, "%s is draining\n", app->name);
    int serves = app_expects_serving(app);
    const struct inst *bad = NULL;
    const char *bad_why = NULL;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        if (in->app != app || in->deleting || !in->want_running)
            continue;
        const char *why = inst_unready(in, serves);
        if (!why)
            return answer(body, 200, "%s is ready\n", app->name);
        if (!bad) {
            bad = in;
            bad_why = why;
        }
    }
    if (!bad)
        return answer(body, 503, "%s is stopped\n", app->name);
    return answer_inst(body, bad, bad_why);
}

int probes_ready(struct daemon *d, const char *name, struct strbuf *body)
{
    if (name) {
        const struct app *app = registry_find_app(&d->reg, name);
        if (!app)
            return answer(body, 404, "no app named %s\n", name);
        return app_ready(d, app, body);
    }
    if (d->reg.n_apps == 0)
        return answer(body, 503, "no app\n");
    /* the apps that should run: an instance of theirs is wanted running */
    uint64_t epoch = ++d->reg.mark_epoch;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        if (in->want_running && !in->deleting)
            in->app->mark = epoch;
    }
    for (size_t i = 0; i < d->reg.n_apps; i++) {
        const struct app *app = d->reg.by_name[i];
        if (app->mark != epoch)
            continue;
        int r = app_ready(d, app, body);
        if (r != 200)
            return r;
        strbuf_reset(body);
    }
    return answer(body, 200, "ready\n");
}
