/* daemon.h - droverd's types: the daemon, its apps and instances.
 *
 * The daemon is a controller. It never runs app code and is never in the
 * path of an app's logs or sockets' data: each instance has a drover-sup
 * process that owns the app, its pipes and log files (sup/sup.h). Killing
 * the daemon leaves every app running; a new daemon re-adopts the
 * supervisors (sup/adopt.h).
 *
 * Ownership: the daemon owns the registry (state/registry.h), which owns
 * every app and instance; an instance's supervisor links (sup/suplink.h)
 * are owned by the link module and point back at the instance. Pending
 * operations (ops/ops.h) hold instance ids, never pointers, across loop
 * turns. All state lives here: no module keeps file-static state. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/paths.h"
#include "config/app_config.h"
#include "proto/snapshot.h"

struct ev_loop;
struct suplink;
struct listener_set;
struct app_triggers;
struct triggers;
struct server;
struct http_server;
struct dashboard;
struct op;
struct adoptee;

/* The daemon's view of an instance's supervisor (its own, beside the
 * status the supervisor reports). */
enum link_state {
    LINK_NONE,     /* no supervisor: never started, or could not be */
    LINK_STARTING, /* spawned, the spec is on its way, no snapshot yet */
    LINK_UP,       /* connected; inst->snap is its last snapshot */
    LINK_ADOPTING, /* found running at daemon start, has not answered yet */
    LINK_LOST,     /* died unexpectedly; what it left was killed, a new one follows */
};

struct app {
    char *name;
    struct app_config cfg;          /* typed, with cfg.json the normalized object */
    json_t *base_env;               /* the environment of the CLI that started it, owned */
    int64_t created_at;             /* wall ms */
    struct listener_set *listeners; /* sup/listeners.h; NULL until the app has a socket */
    size_t n_insts;                 /* kept by the registry */
    int served;                     /* some run of the app served its sockets (state.json) */
    struct app_triggers *triggers;  /* triggers/triggers.h; NULL when it has none */
    uint64_t mark;                  /* scratch for one pass over the registry (targets.c) */
};

struct inst {
    int64_t id;
    struct app *app;
    int slot;            /* 0..instances-1 within the app: NODE_APP_INSTANCE */
    int64_t gen;         /* generation of the primary supervisor, bumped per new one */
    int want_running;    /* what the user asked for; a lost supervisor is respawned if set */
    int deleting;        /* delete requested: removed when the supervisor is gone */
    int sup_losses;      /* supervisors lost in a row (instances/lifecycle.c backoff) */
    int64_t sup_lost_at; /* mono ms of the last loss, 0 = never */
    int adopting;        /* supervisors found at start that have not answered (sup/adopt.h) */
    int64_t created_at;
    enum link_state link_state;
    struct suplink *link;      /* the primary supervisor; NULL when none runs */
    struct suplink *next_link; /* a replacement (reload, apply) until it takes over */
    struct inst_snapshot snap; /* what the primary reported last; status is the daemon's
                                * when it has no link (LINK_NONE, ADOPTING, LOST) */
    char *log_out, *log_err, *log_combined; /* resolved paths, NULL when off */
    /* CPU sampling for ls (state/stats.h) */
    pid_t sampled_pid; /* the app pid the last sample measured */
    uint64_t cpu_ticks_prev;
    int64_t cpu_sample_ms;
    double cpu_percent;
    uint64_t memory_bytes;
    uint64_t cpu_ticks; /* the tree's CPU ticks at the last sample (metrics) */
    /* connections at the last sample (state/stats.h) */
    int conns_known;          /* accepted and accept_rate are the shim's */
    uint64_t conns_accepted;  /* since the primary supervisor started */
    int64_t conns_open;       /* held by the tree on the app's ports; -1 unknown */
    double accept_rate;       /* accepts a second since the sample before */
    uint64_t accepted_prev;   /* conns_accepted at the sample before ... */
    const void *accepted_src; /* ... read from this page (a new supervisor resets it) */
    /* restarts the daemon decided (triggers/triggers.h), shown by describe */
    int64_t trigger_restarts;
    int64_t trigger_at;       /* wall ms of the last one, 0 = never */
    char trigger_reason[160]; /* "memory 61.2mb > max_memory_restart 60.0mb", "watch: a/b.js" */
    pid_t trigger_pid;        /* memory: the app pid a restart was asked for */
    int64_t trigger_pid_ms;   /* mono ms of that request */
    uint64_t mark;            /* scratch for one pass over the registry (targets.c) */
};

struct registry {
    struct app **apps;    /* in creation order */
    struct app **by_name; /* the same apps sorted by name, for lookups */
    size_t n_apps, cap_apps;
    struct inst **insts; /* sorted by id */
    size_t n_insts, cap_insts;
    int64_t next_id;
    int64_t gen_floor;   /* supervisor generations start above it (ids are reused) */
    uint64_t mark_epoch; /* bumped by each pass that marks apps or instances */
    /* Called after an app is added and before one is removed (the restart
     * triggers hook here, triggers/triggers.h). NULL when unset. */
    void (*app_hook)(void *data, struct app *app, int added);
    void *app_hook_data;
};

struct daemon {
    struct ev_loop *loop;
    struct drover_paths paths;
    char home_key[PATHS_KEY_LEN + 1]; /* paths_home_key: marks our supervisors and apps */
    struct registry reg;
    int lock_fd;
    int log_fd; /* daemon.log, handed to supervisors as stdout/stderr */
    int listen_fd;
    char exe_dir[4096];        /* where droverd, drover-sup and friends live */
    struct server *server;     /* the control socket (server.h) */
    struct http_server *http;  /* DROVER_HTTP (http/http.h); NULL when not serving */
    struct dashboard *dash;    /* its dashboard (http/dashboard.h); NULL when not serving */
    struct op *ops;            /* pending operations (ops/ops.h) */
    uint64_t next_op_seq;      /* ids of operations, for callbacks that find them again */
    int ops_polling;           /* ops_poll is running (its callbacks may call it again) */
    int ops_repoll;            /* something changed meanwhile: go round once more */
    struct adoptee *adoptees;  /* supervisors found at start, not yet answered (sup/adopt.h) */
    struct triggers *triggers; /* watch, cron and memory restarts (triggers/triggers.h) */
    int serving;               /* the control socket is bound (daemon_adoption_settled) */
    int serve_error;           /* it could not be: the daemon exits */
    int resurrect_at_boot;     /* --resurrect: start dump.json when nothing was adopted */
    int exiting;               /* the loop is ending: links drop without consequences */
    int shutting_down;         /* kill/update in progress: new requests are refused */
    int keep_apps_on_exit;     /* drover update: leave supervisors running */
    int64_t exit_deadline;     /* mono ms: the loop ends by then even if replies are queued */
    int64_t started_at;
    int64_t stats_at_ms;          /* mono ms of the last sample (state/stats.h), 0 = none */
    int stats_refresh_wanted;     /* a view was served a stale sample (state/stats.h) */
    int stats_round_active;       /* a sample is under way, in slices */
    size_t stats_round_next;      /* its next instance */
    int64_t stats_round_spent_us; /* CPU it used so far */
    int64_t stats_round_cost_us;  /* CPU the last whole sample used */
    int64_t stats_refresh_timer;  /* the next slice or round, 0 = none */
    unsigned long nofile_soft;    /* the fd limit we inherited, handed down to supervisors */
    char cgroup_base[512];        /* cgroup v2 dir for instance cgroups, "" when unusable */
    int persist_dirty;            /* state.json is behind the registry */
    int persist_error;            /* negative errno of the last failed write, else 0 */
    int64_t persist_timer;        /* the write of a change nobody waits for */
};

/* Schedules a write of state.json (apps, instances, next id): changes in
 * one burst (a kill of 1,000 instances) are written once, within
 * PERSIST_DELAY_MS, and always before a reply to a CLI leaves (the loop's
 * before-sleep hook, server_before_sleep), so an acknowledged change
 * survives a daemon crash. */
void daemon_persist(struct daemon *d);

/* Writes state.json now, atomically, if a write is pending. Logs failures
 * and keeps the error in d->persist_error. */
void daemon_persist_flush(struct daemon *d);

#define PERSIST_DELAY_MS 20

/* Called whenever an instance's snapshot changed or it disappeared: wakes
 * the pending operations (ops/ops.h). */
void daemon_instances_changed(struct daemon *d);

/* How long a starting daemon waits for the supervisors it found before it
 * serves CLIs anyway (those that did not answer show "adopting"). */
#define ADOPT_SERVE_WAIT_MS 3000

/* Every supervisor found at start answered (or died), or the wait above
 * ended: binds the control socket, says ready, resurrects at boot. Called
 * once; later calls do nothing (main.c). */
void daemon_adoption_settled(struct daemon *d);

/* True when commands should wait for the app's runs to serve their
 * sockets (docs/architecture.md, "Readiness"): it has `listen`, or it is a
 * cluster app (the shim sees its sockets) with `port`, a PORT variable or
 * an earlier run that served. A fork app's own sockets are not seen. */
int app_expects_serving(const struct app *app);

/* True when a run of the app is not started until it signals (wait_ready)
 * or serves (app_expects_serving): a run that ends before is a failed
 * start, not a started app that crashed later. */
int app_needs_ready(const struct app *app);

/* The status an instance shows: its supervisor's, or the daemon's own when
 * the link says more (adopting, lost, none). */
enum inst_status inst_status(const struct inst *inst);
