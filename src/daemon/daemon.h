/* daemon.h - droverd's shared state: the registry of apps and instances,
 * the links to their supervisors, and the pending operations.
 *
 * The daemon is a controller. It never runs app code and is never in the
 * path of an app's logs or sockets' data: each instance has a drover-sup
 * process that owns the app, its pipes and log files (sup/sup.h). Killing
 * the daemon leaves every app running; a new daemon re-adopts the
 * supervisors (adopt.c). */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/paths.h"

struct ev_loop;
struct conn;
struct suplink;
struct listener_set;
struct app_triggers;
struct triggers;

/* The last state a supervisor reported for its instance. */
struct inst_snap {
    char status[24]; /* PM2 names: online, launching, stopping, stopped, errored, ... */
    pid_t pid;       /* app main pid, 0 when not running */
    uint64_t pid_start;
    pid_t sup_pid;
    int ready;
    int64_t restarts, unstable_restarts;
    int64_t started_at; /* wall ms of the current run */
    int64_t exit_code, exit_signal, last_exit_at;
    char reason[256];
    char cgroup[256];
    uint64_t log_lines, log_bytes, log_dropped, log_rotations;
    int n_listen_fds;
    char notify_status[200]; /* the app's last sd_notify STATUS= */
    char ipc_msgs[3][200];   /* its last process:msg messages, oldest first */
    int n_ipc_msgs;
    int deleted; /* the supervisor announced its exit */
};

struct app {
    char *name;
    json_t *config;   /* normalized (config/app_config.h), owned */
    json_t *base_env; /* the environment of the CLI that started it (PM2 semantics), owned */
    int64_t created_at;
    struct listener_set *listeners; /* listeners.h; NULL until the app has a socket */
    size_t n_insts;                 /* kept by the registry */
    struct app_triggers *triggers;  /* triggers/triggers.h; NULL when it has none */
    uint64_t mark;                  /* scratch for one pass over the registry (targets.c) */
};

struct inst {
    int64_t id;
    struct app *app;
    int64_t gen;      /* bumped for every new supervisor of this id */
    int want_running; /* what the user asked for; a dead supervisor is respawned if set */
    int adopting;     /* live supervisors found at start, not answered yet (adopt.h) */
    int deleting;     /* delete requested: remove when the supervisor is gone */
    int64_t created_at;
    int slot;                  /* 0..instances-1 within the app: NODE_APP_INSTANCE */
    struct suplink *link;      /* the primary supervisor; NULL when none runs */
    struct suplink *next_link; /* a reload's replacement, until it takes over */
    struct inst_snap snap;
    char *log_out, *log_err, *log_combined; /* resolved paths, NULL when off */
    /* CPU sampling for ls */
    uint64_t cpu_ticks_prev;
    int64_t cpu_sample_ms;
    double cpu_percent;
    uint64_t memory_bytes;
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
    uint64_t mark_epoch; /* bumped by each pass that marks apps or instances */
    /* Called after an app is added and before one is removed (the restart
     * triggers hook here, triggers/triggers.h). NULL when unset. */
    void (*app_hook)(void *data, struct app *app, int added);
    void *app_hook_data;
};

struct daemon {
    struct ev_loop *loop;
    struct drover_paths paths;
    struct registry reg;
    int lock_fd;
    int log_fd; /* daemon.log, handed to supervisors as stdout/stderr */
    int listen_fd;
    char exe_dir[4096];               /* where droverd, drover-sup and friends live */
    char home_key[PATHS_KEY_LEN + 1]; /* paths_home_key: marks our supervisors and apps */
    struct op *ops;                   /* pending operations (ops.h) */
    struct adoptee *adoptees;         /* supervisors found at start, not yet answered (adopt.h) */
    int exiting;                      /* the loop is ending: links drop without consequences */
    int shutting_down;                /* kill/update in progress: new requests are refused */
    int keep_apps_on_exit;            /* drover update: leave supervisors running */
    int64_t started_at;
    unsigned long nofile_soft; /* the fd limit we inherited, handed down to supervisors */
    char cgroup_base[512];     /* cgroup v2 dir for instance cgroups, "" when unusable */
    struct server *server;     /* the control socket (server.h) */
    int persist_dirty;         /* state.json is behind the registry */
    int persist_error;         /* negative errno of the last failed write, else 0 */
    int64_t persist_timer;     /* the write of a change nobody waits for */
    struct triggers *triggers; /* watch, cron and memory restarts (triggers/triggers.h) */
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
 * the pending operations (ops.c). */
void daemon_instances_changed(struct daemon *d);
