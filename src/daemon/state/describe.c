/* describe.c - instances as JSON for the CLI. */
#include "daemon/state/describe.h"
#include "base/parse.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/instances/inst_spec.h"
#include "daemon/state/registry.h"

#include <limits.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
    return (s && *s) ? json_string(s) : json_null();
}

/* What the sampler knows of the instance's connections (state/stats.h):
 * null where it knows nothing (no shim, no socket the daemon holds). */
static json_t *connections(const struct inst *in)
{
    int running = in->snap.pid > 0;
    if (!running || (in->conns_open < 0 && !in->conns_known))
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "open",
                        in->conns_open >= 0 ? json_integer(in->conns_open) : json_null());
    json_object_set_new(o, "accepted",
                        in->conns_known ? json_integer((json_int_t)in->conns_accepted)
                                        : json_null());
    json_object_set_new(o, "accept_rate",
                        in->conns_known ? json_real(in->accept_rate) : json_null());
    return o;
}

json_t *describe_inst(const struct daemon *d, const struct inst *in)
{
    const struct inst_snapshot *s = &in->snap;
    const struct app_config *c = &in->app->cfg;
    int64_t now = wall_ms();
    int running = s->pid > 0;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(in->id));
    json_object_set_new(o, "name", json_string(in->app->name));
    json_object_set_new(o, "namespace", json_string(c->namespace));
    json_object_set_new(o, "mode", json_string(app_config_choice("exec_mode", c->exec_mode)));
    json_object_set_new(o, "instances", json_integer((json_int_t)in->app->n_insts));
    json_object_set_new(o, "slot", json_integer(in->slot));
    json_object_set_new(o, "gen", json_integer(in->gen));
    json_object_set_new(o, "pid", json_integer(running ? s->pid : 0));
    json_object_set_new(o, "sup_pid", json_integer(in->link ? s->sup_pid : 0));
    json_object_set_new(o, "status", json_string(status_name(inst_status(in))));
    json_object_set_new(o, "ready", json_boolean(s->ready));
    json_object_set_new(o, "serving", json_boolean(s->serving));
    json_object_set_new(o, "restarts", json_integer(s->restarts));
    json_object_set_new(o, "unstable_restarts", json_integer(s->unstable_restarts));
    json_object_set_new(o, "started_at", running ? json_integer(s->started_at) : json_null());
    json_object_set_new(o, "uptime_ms", json_integer(running ? now - s->started_at : 0));
    json_object_set_new(o, "created_at", json_integer(in->created_at));
    json_object_set_new(o, "exit_code",
                        s->last_exit_at && s->exit_code >= 0 ? json_integer(s->exit_code)
                                                             : json_null());
    const char *sig = s->exit_signal > 0 ? signal_name((int)s->exit_signal) : NULL;
    json_object_set_new(o, "exit_signal", str_or_null(sig));
    json_object_set_new(o, "last_exit_at",
                        s->last_exit_at ? json_integer(s->last_exit_at) : json_null());
    json_object_set_new(o, "reason", str_or_null(s->reason));
    /* restarts the daemon decided: watch, cron_restart, max_memory_restart */
    json_object_set_new(o, "trigger_restarts", json_integer(in->trigger_restarts));
    json_object_set_new(o, "last_trigger", str_or_null(in->trigger_reason));
    json_object_set_new(o, "last_trigger_at",
                        in->trigger_at ? json_integer(in->trigger_at) : json_null());
    json_object_set_new(o, "cpu", json_real(running ? in->cpu_percent : 0.0));
    json_object_set_new(o, "memory", json_integer(running ? (json_int_t)in->memory_bytes : 0));
    json_object_set_new(o, "connections", connections(in));
    const char *interp = c->interpreter ? c->interpreter : interpreter_for_script(c->script);
    json_object_set_new(o, "script", json_string(c->script));
    json_object_set_new(o, "interpreter", str_or_null(interp ? interp : "none"));
    json_object_set_new(o, "args", c->args ? json_incref(c->args) : json_array());
    json_object_set_new(o, "cwd", str_or_null(c->cwd));
    json_object_set_new(o, "log_out", str_or_null(in->log_out));
    json_object_set_new(o, "log_err", str_or_null(in->log_err));
    json_object_set_new(o, "log_combined", str_or_null(in->log_combined));
    char pid_file[PATH_MAX];
    json_object_set_new(o, "pid_file",
                        inst_pid_file(d, in, pid_file, sizeof(pid_file)) == 0
                            ? json_string(pid_file)
                            : json_null());
    json_object_set_new(o, "log_lines", json_integer((json_int_t)s->log_lines));
    json_object_set_new(o, "log_bytes", json_integer((json_int_t)s->log_bytes));
    json_object_set_new(o, "log_dropped", json_integer((json_int_t)s->log_dropped));
    json_object_set_new(o, "log_rotations", json_integer((json_int_t)s->log_rotations));
    json_object_set_new(o, "cgroup", str_or_null(s->cgroup));
    json_object_set_new(o, "listen_fds", json_integer(s->listen_fds));
    json_object_set_new(o, "notify_status", str_or_null(s->notify_status));
    json_t *msgs = json_array();
    for (int i = 0; i < s->n_ipc_msgs; i++)
        json_array_append_new(msgs, json_string(s->ipc_msgs[i]));
    json_object_set_new(o, "ipc_messages", msgs);
    return o;
}

void describe_into(const struct daemon *d, json_t *reply, struct inst **insts, size_t n)
{
    if (!insts) {
        insts = d->reg.insts;
        n = d->reg.n_insts;
    }
    json_t *arr = json_array();
    json_t *apps = json_object();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, describe_inst(d, insts[i]));
        const struct app *app = insts[i]->app;
        if (!json_object_get(apps, app->name))
            json_object_set(apps, app->name, app->cfg.json);
    }
    json_object_set_new(reply, "processes", arr);
    json_object_set_new(reply, "apps", apps);
}

json_t *describe_all_brief(const struct daemon *d)
{
    json_t *arr = json_array();
    int64_t now = wall_ms();
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        const struct inst_snapshot *s = &in->snap;
        int running = s->pid > 0;
        json_array_append_new(
            arr, json_pack(
                     "{s:I, s:s, s:s, s:s, s:I, s:I, s:s, s:I, s:I, s:f, s:I}", "id",
                     (json_int_t)in->id, "name", in->app->name, "namespace", in->app->cfg.namespace,
                     "mode", app_config_choice("exec_mode", in->app->cfg.exec_mode), "instances",
                     (json_int_t)in->app->n_insts, "pid", (json_int_t)(running ? s->pid : 0),
                     "status", status_name(inst_status(in)), "restarts", (json_int_t)s->restarts,
                     "uptime_ms", (json_int_t)(running ? now - s->started_at : 0), "cpu",
                     running ? in->cpu_percent : 0.0, "memory",
                     (json_int_t)(running ? in->memory_bytes : 0)));
        json_t *last = json_array_get(arr, json_array_size(arr) - 1);
        if (running && in->conns_open >= 0)
            json_object_set_new(last, "conns_open", json_integer(in->conns_open));
        if (running && in->conns_known) {
            json_object_set_new(last, "conns_accepted",
                                json_integer((json_int_t)in->conns_accepted));
            json_object_set_new(last, "accept_rate", json_real(in->accept_rate));
        }
    }
    return arr;
}

int describe_rows(const struct daemon *d, struct strbuf *out)
{
    int64_t now = wall_ms();
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        const struct inst *in = d->reg.insts[i];
        const struct inst_snapshot *s = &in->snap;
        int running = s->pid > 0;
        int r = strbuf_printf(
            out, "%lld\t%s\t%s\t%s\t%lld\t%s\t%lld\t%lld\t%.1f\t%llu\n", (long long)in->id,
            in->app->name, in->app->cfg.namespace,
            app_config_choice("exec_mode", in->app->cfg.exec_mode),
            (long long)(running ? s->pid : 0), status_name(inst_status(in)), (long long)s->restarts,
            (long long)(running ? now - s->started_at : 0), running ? in->cpu_percent : 0.0,
            (unsigned long long)(running ? in->memory_bytes : 0));
        if (r < 0)
            return r;
    }
    return 0;
}
