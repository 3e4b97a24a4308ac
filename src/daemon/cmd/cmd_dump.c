/* cmd_dump.c - save, resurrect and cleardump (dump.h). */
#include "base/fdutil.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/cmd/apps.h"
#include "daemon/cmd/commands.h"
#include "daemon/cmd/dump.h"
#include "daemon/instances/lifecycle.h"
#include "daemon/state/registry.h"
#include "daemon/cmd/replies.h"
#include "daemon/ops/ops.h"
#include "daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DUMP_VERSION 1
#define DUMP_MAX_BYTES (256u << 20)
#define DUMP_MAX_APPS 4096

static json_t *dump_app(const struct daemon *d, const struct app *app)
{
    json_t *insts = json_array();
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        if (in->app == app)
            json_array_append_new(
                insts, json_pack("{s:i, s:b}", "slot", in->slot, "want_running", in->want_running));
    }
    return json_pack("{s:s, s:O, s:O, s:I, s:o}", "name", app->name, "config", app->cfg.json,
                     "base_env", app->base_env ? app->base_env : json_null(), "created_at",
                     (json_int_t)app->created_at, "instances", insts);
}

/* Writes text as the new dump. The current dump becomes dump.json.bak only
 * once the new one is safely in place: it is hard-linked aside first (no
 * data copied, so this works on a full disk) and the link is renamed or
 * dropped depending on the outcome. */
static int write_dump(const struct daemon *d, const char *text, char path[PATH_MAX])
{
    char bak[PATH_MAX + 8], bak_new[PATH_MAX + 16];
    int r = path_join(path, d->paths.home, DUMP_FILE);
    if (r < 0)
        return r;
    snprintf(bak, sizeof(bak), "%s.bak", path);
    snprintf(bak_new, sizeof(bak_new), "%s.bak.new", path);
    unlink(bak_new);
    int linked = link(path, bak_new) == 0;
    char *old = NULL;
    if (!linked && errno != ENOENT)
        read_file_at(AT_FDCWD, path, DUMP_MAX_BYTES, &old, NULL); /* no hard links here */
    r = write_file_atomic(path, text, strlen(text), 0600);
    if (r < 0) {
        if (linked)
            unlink(bak_new);
        free(old);
        return r;
    }
    if (linked && rename(bak_new, bak) < 0)
        log_warn_errno(neg_errno(), "cannot keep the previous dump as %s", bak);
    if (old && write_file_atomic(bak, old, strlen(old), 0600) < 0)
        log_warn("cannot keep the previous dump as %s", bak);
    free(old);
    return 0;
}

static void save_to_disk(struct daemon *d, struct client *c, json_t *apps, size_t n_insts)
{
    json_t *root = json_pack("{s:i, s:I, s:s, s:O}", "version", DUMP_VERSION, "saved_at",
                             (json_int_t)wall_ms(), "drover", DROVER_VERSION, "apps", apps);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    char path[PATH_MAX];
    if (!text) {
        server_reply_error_code(c, -ENOMEM, "out of memory");
        return;
    }
    int r = write_dump(d, text, path);
    free(text);
    if (r < 0) {
        log_error_errno(r, "cannot write %s", path);
        server_reply_error_code(c, r, "cannot write %s: %s (the previous dump is kept)", path,
                                strerror(-r));
        return;
    }
    log_info("saved %zu app(s) to %s", json_array_size(apps), path);
    server_reply(c, json_pack("{s:s, s:I, s:I}", "path", path, "apps",
                              (json_int_t)json_array_size(apps), "instances", (json_int_t)n_insts));
}

void cmd_save(struct daemon *d, struct client *c, json_t *req)
{
    if (d->reg.n_apps == 0 && !json_is_true(json_object_get(req, "force"))) {
        server_reply_error_code(c, -ENOENT,
                                "no app to save: the dump is left as it is (use --force to save "
                                "an empty list)");
        return;
    }
    json_t *apps = json_array();
    for (size_t a = 0; a < d->reg.n_apps; a++)
        json_array_append_new(apps, dump_app(d, d->reg.apps[a]));
    save_to_disk(d, c, apps, d->reg.n_insts);
    json_decref(apps);
}

void cmd_cleardump(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    json_t *apps = json_array();
    save_to_disk(d, c, apps, 0);
    json_decref(apps);
}

/* Reads the dump's apps (new reference; an empty array when there is no
 * dump). Returns NULL with err set when it cannot be used. */
static json_t *read_dump(const struct daemon *d, char *err, size_t errlen)
{
    char path[PATH_MAX], *text = NULL;
    path_join(path, d->paths.home, DUMP_FILE);
    int r = read_file_at(AT_FDCWD, path, DUMP_MAX_BYTES, &text, NULL);
    if (r == -ENOENT)
        return json_array();
    if (r < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    free(text);
    json_t *apps = json_object_get(root, "apps");
    if (!json_is_array(apps) || json_array_size(apps) > DUMP_MAX_APPS) {
        snprintf(err, errlen, "%s is not a usable dump%s%s (%s.bak has the previous one)", path,
                 root ? "" : ": ", root ? "" : jerr.text, path);
        json_decref(root);
        return NULL;
    }
    json_incref(apps);
    json_decref(root);
    return apps;
}

/* Starts the stopped instances of a known app that the dump wants running. */
static void resurrect_known(struct daemon *d, struct app *app, json_t *dumped, struct op *op)
{
    size_t i;
    json_t *di;
    json_array_foreach(json_object_get(dumped, "instances"), i, di)
    {
        if (!json_is_true(json_object_get(di, "want_running")))
            continue;
        int slot = (int)json_integer_value(json_object_get(di, "slot"));
        for (size_t k = 0; k < d->reg.n_insts; k++) {
            struct inst *in = d->reg.insts[k];
            if (in->app == app && in->slot == slot && !(in->link && in->want_running))
                op_add(op, in, TASK_START);
        }
    }
}

/* Creates a dumped app the daemon does not know, with the dumped desired
 * state of each instance. */
static void resurrect_new(struct daemon *d, const char *name, json_t *config, json_t *dumped,
                          struct op *op, json_t *warnings)
{
    char err[512];
    struct app_config cfg;
    app_config_load(&cfg, config);
    json_t *dinsts = json_object_get(dumped, "instances");
    size_t count = json_array_size(dinsts);
    if (count == 0 || count > CFG_HARD_MAX_INSTANCES) {
        count = (size_t)apps_instance_count(&cfg);
        dinsts = NULL;
    }
    /* the dumped count wins over the config's */
    if (count != (size_t)apps_instance_count(&cfg))
        json_object_set_new(config, "instances", json_integer((json_int_t)count));
    int *start = calloc(count, sizeof(int));
    int r = start ? registry_check_new_app(&d->reg, name, cfg.namespace, err, sizeof(err))
                  : (snprintf(err, sizeof(err), "out of memory"), -ENOMEM);
    for (size_t s = 0; start && s < count; s++)
        start[s] = dinsts ? json_is_true(json_object_get(json_array_get(dinsts, s), "want_running"))
                          : cfg.autostart;
    app_config_free(&cfg);
    if (r < 0 || !apps_create(d, name, config, json_object_get(dumped, "base_env"), start, op,
                              warnings, err, sizeof(err))) {
        char msg[700];
        snprintf(msg, sizeof(msg), "cannot resurrect app '%s': %s", name, err);
        json_array_append_new(warnings, json_string(msg));
    }
    free(start);
}

/* Checks one dump entry; returns its normalized config (new reference), or
 * NULL with msg saying why it is skipped. */
static json_t *dump_entry_config(json_t *dumped, size_t i, char *msg, size_t len)
{
    const char *name = json_string_value(json_object_get(dumped, "name"));
    json_t *dumped_config = json_object_get(dumped, "config");
    json_t *config = NULL;
    char cerr[512], why[128];
    /* re-validated: the dump may come from another version, or a hand */
    if (!json_is_object(dumped))
        snprintf(msg, len, "dump entry #%zu skipped: not an object", i + 1);
    else if (!name)
        snprintf(msg, len, "dump entry #%zu skipped: no name", i + 1);
    else if (app_name_check(name, why, sizeof(why)) < 0)
        snprintf(msg, len, "dump entry #%zu skipped: invalid app name: it %s", i + 1, why);
    else if (!json_is_object(dumped_config))
        snprintf(msg, len, "dump entry #%zu ('%s') skipped: \"config\" is %s", i + 1, name,
                 dumped_config ? "not an object" : "missing");
    else if (app_config_normalize(dumped_config, &config, NULL, cerr, sizeof(cerr)) < 0)
        snprintf(msg, len, "dump entry #%zu ('%s') skipped: %s", i + 1, name, cerr);
    else
        json_object_set_new(config, "name", json_string(name));
    return config;
}

/* Starts what the dump describes and is not running, as tasks of op.
 * Idempotent: an app that exists keeps its instances (only its stopped ones
 * are started), so nothing is ever duplicated. Returns the number of apps
 * in the dump, or -1 with err set. */
static int resurrect(struct daemon *d, struct op *op, json_t *warnings, char *err, size_t errlen)
{
    json_t *apps = read_dump(d, err, errlen);
    if (!apps)
        return -1;
    size_t i;
    json_t *dumped;
    json_array_foreach(apps, i, dumped)
    {
        char msg[800];
        json_t *config = dump_entry_config(dumped, i, msg, sizeof(msg));
        if (!config) {
            json_array_append_new(warnings, json_string(msg));
            continue;
        }
        const char *name = json_string_value(json_object_get(config, "name"));
        struct app *app = registry_find_app(&d->reg, name);
        if (app)
            resurrect_known(d, app, dumped, op);
        else
            resurrect_new(d, name, config, dumped, op, warnings);
        json_decref(config);
    }
    int n = (int)json_array_size(apps);
    json_decref(apps);
    daemon_persist(d);
    return n;
}

void cmd_resurrect(struct daemon *d, struct client *c, json_t *req)
{
    (void)req;
    struct op *op = reply_op_new(d, c);
    if (!op)
        return;
    json_t *warnings = json_array();
    char err[1024];
    int n = resurrect(d, op, warnings, err, sizeof(err));
    if (n < 0) {
        server_reply_error_code(c, -EINVAL, "%s", err);
        json_decref(warnings);
        op_discard(op);
        return;
    }
    json_object_set_new(op->extra, "warnings", warnings);
    json_object_set_new(op->extra, "dumped", json_integer(n));
    json_object_set_new(op->extra, "started", json_integer((json_int_t)op->n_tasks));
    op_run(op);
}

void dump_resurrect_at_boot(struct daemon *d, op_done_cb done)
{
    struct op *op = op_new(d, NULL, done, NULL);
    if (!op) {
        log_error("resurrect: out of memory");
        return;
    }
    json_t *warnings = json_array();
    char err[1024];
    int n = resurrect(d, op, warnings, err, sizeof(err));
    if (n < 0)
        log_error("resurrect: %s", err);
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w) log_warn("resurrect: %s", json_string_value(w));
    json_decref(warnings);
    if (n > 0)
        log_info("resurrected %d app(s) from the dump, %zu instance(s) started", n, op->n_tasks);
    op_run(op);
}
