/* persist.c - state.json. */
#include "daemon/state/persist.h"
#include "base/fdutil.h"
#include "base/log.h"
#include "base/paths.h"
#include "config/app_config.h"
#include "daemon/state/registry.h"
#include "loop/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static char *dup_or_null(json_t *v)
{
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* The apps' position in the name index (for grouping instances). */
static size_t app_pos(const struct registry *r, const struct app *app)
{
    size_t lo = 0, hi = r->n_apps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(r->by_name[mid]->name, app->name);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static void write_state(struct daemon *d)
{
    const struct registry *reg = &d->reg;
    json_t **insts = calloc(reg->n_apps ? reg->n_apps : 1, sizeof(*insts));
    if (!insts)
        return;
    for (size_t i = 0; i < reg->n_apps; i++)
        insts[i] = json_array();
    for (size_t i = 0; i < reg->n_insts; i++) {
        const struct inst *in = reg->insts[i];
        json_array_append_new(
            insts[app_pos(reg, in->app)],
            json_pack("{s:I, s:I, s:i, s:b, s:I, s:I, s:o, s:o, s:o}", "id", (json_int_t)in->id,
                      "gen", (json_int_t)in->gen, "slot", in->slot, "want_running",
                      in->want_running, "created_at", (json_int_t)in->created_at, "restarts",
                      (json_int_t)in->snap.restarts, "log_out", str_or_null(in->log_out), "log_err",
                      str_or_null(in->log_err), "log_combined", str_or_null(in->log_combined)));
    }
    json_t *apps = json_array();
    for (size_t a = 0; a < reg->n_apps; a++) {
        const struct app *app = reg->apps[a];
        size_t pos = app_pos(reg, app);
        json_array_append_new(apps, json_pack("{s:s, s:O, s:O, s:I, s:O, s:b}", "name", app->name,
                                              "config", app->cfg.json, "base_env",
                                              app->base_env ? app->base_env : json_null(),
                                              "created_at", (json_int_t)app->created_at,
                                              "instances", insts[pos], "served", app->served));
    }
    for (size_t i = 0; i < reg->n_apps; i++)
        json_decref(insts[i]);
    free(insts);
    json_t *root =
        json_pack("{s:i, s:I, s:I, s:o}", "version", 1, "next_id", (json_int_t)d->reg.next_id,
                  "gen_floor", (json_int_t)d->reg.gen_floor, "apps", apps);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
        return;
    char path[4200];
    path_join(path, d->paths.home, "state.json");
    int r = write_file_atomic(path, text, strlen(text), 0600);
    if (r < 0 && r != d->persist_error)
        log_error_errno(r, "cannot write %s (the previous state is kept)", path);
    else if (r == 0 && d->persist_error < 0)
        log_info("%s written again", path);
    d->persist_error = r < 0 ? r : 0;
    free(text);
}

void daemon_persist_flush(struct daemon *d)
{
    ev_timer_cancel(d->loop, d->persist_timer);
    d->persist_timer = 0;
    if (!d->persist_dirty)
        return;
    d->persist_dirty = 0;
    write_state(d);
}

static void on_persist_timer(struct ev_loop *loop, void *data)
{
    struct daemon *d = data;
    (void)loop;
    d->persist_timer = 0;
    daemon_persist_flush(d);
}

void daemon_persist(struct daemon *d)
{
    d->persist_dirty = 1;
    if (!d->persist_timer) {
        int64_t t = ev_timer_add(d->loop, PERSIST_DELAY_MS, on_persist_timer, d);
        d->persist_timer = t > 0 ? t : 0;
    }
}

static void load_app(struct daemon *d, json_t *ja)
{
    const char *name = json_string_value(json_object_get(ja, "name"));
    json_t *config = NULL;
    char why[512];
    if (!name || registry_find_app(&d->reg, name))
        return;
    if (app_name_check(name, why, sizeof(why)) < 0) {
        log_error("state.json: app skipped: its name %s", why);
        return;
    }
    /* written by this or another version: validated again */
    if (app_config_normalize(json_object_get(ja, "config"), &config, NULL, why, sizeof(why)) < 0) {
        log_error("state.json: app '%s' skipped: %s", name, why);
        return;
    }
    struct app *app = registry_add_app(&d->reg, name, config,
                                       json_integer_value(json_object_get(ja, "created_at")));
    if (!app)
        return;
    app->served = json_is_true(json_object_get(ja, "served"));
    json_t *be = json_object_get(ja, "base_env");
    app->base_env = json_is_object(be) ? json_incref(be) : NULL;
    size_t i;
    json_t *ji;
    json_array_foreach(json_object_get(ja, "instances"), i, ji)
    {
        struct inst *in =
            registry_add_inst(&d->reg, app, json_integer_value(json_object_get(ji, "id")));
        if (!in)
            continue;
        in->gen = json_integer_value(json_object_get(ji, "gen"));
        in->snap.gen = in->gen;
        in->slot = (int)json_integer_value(json_object_get(ji, "slot"));
        in->want_running = json_is_true(json_object_get(ji, "want_running"));
        in->created_at = json_integer_value(json_object_get(ji, "created_at"));
        in->snap.restarts = json_integer_value(json_object_get(ji, "restarts"));
        in->snap.created_at = in->created_at;
        in->log_out = dup_or_null(json_object_get(ji, "log_out"));
        in->log_err = dup_or_null(json_object_get(ji, "log_err"));
        in->log_combined = dup_or_null(json_object_get(ji, "log_combined"));
    }
    if (app->n_insts == 0)
        registry_remove_app(&d->reg, app);
}

int persist_load(struct daemon *d)
{
    char path[4200];
    path_join(path, d->paths.home, "state.json");
    char *text = NULL;
    int r = read_file_at(AT_FDCWD, path, 256u << 20, &text, NULL);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return log_error_errno(r, "cannot read %s", path);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    free(text);
    if (!root || !json_is_object(root)) {
        char aside[4300];
        snprintf(aside, sizeof(aside), "%s.corrupt", path);
        rename(path, aside);
        log_error("%s is corrupt (%s); kept as %s, starting from the running supervisors", path,
                  root ? "not an object" : jerr.text, aside);
        json_decref(root);
        return 0;
    }
    size_t i;
    json_t *ja;
    json_array_foreach(json_object_get(root, "apps"), i, ja) load_app(d, ja);
    json_int_t next = json_integer_value(json_object_get(root, "next_id"));
    if (next > d->reg.next_id)
        d->reg.next_id = next;
    json_int_t floor = json_integer_value(json_object_get(root, "gen_floor"));
    if (floor > d->reg.gen_floor)
        d->reg.gen_floor = floor;
    json_decref(root);
    return 0;
}
