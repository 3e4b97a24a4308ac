/* instance_ops.c - what the instance state machine does to the world
 * (instance_real_ops, instance.h): spawning a run with its fds and
 * environment, signalling and killing the app's tree, notes in its log. */
#include "base/pidfd.h"
#include "base/procfs.h"
#include "logs/logger.h"
#include "proto/spec.h"
#include "spawn/spawn.h"
#include "sup/app_env.h"
#include "sup/app_stdin.h"
#include "sup/drain.h"
#include "sup/instance.h"
#include "sup/node_ipc.h"
#include "sup/serve_probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The app's tree, with the log compressor (our own helper) kept out. */
static struct proc_tree *app_tree(struct instance *inst)
{
    tree_set_helper(&inst->tree, logger_helper_pid(inst->logger));
    return &inst->tree;
}

static int real_spawn(struct instance *inst)
{
    const struct inst_spec *s = inst->spec;
    tree_prepare_run(&inst->tree);
    struct spawn_fd fds[3 + SPEC_MAX_LISTEN_FDS + 1];
    size_t n = 0;
    /* one way per app: the sockets at fd 3.. with LISTEN_FDS, or only
     * through the shim's broker */
    int n_listen = inst->n_listen_fds && s->pass_listen_fds ? *inst->n_listen_fds : 0;
    fds[n++] = (struct spawn_fd){inst->app_in ? app_stdin_fd_for_run(inst->app_in) : -1, 0};
    fds[n++] = (struct spawn_fd){inst->out_w, 1};
    fds[n++] = (struct spawn_fd){inst->err_w, 2};
    for (int i = 0; i < n_listen && i < SPEC_MAX_LISTEN_FDS; i++)
        fds[n++] = (struct spawn_fd){inst->listen_fds[i], 3 + i};
    int ipc_child = -1;
    if (inst->ipc) {
        ipc_child = node_ipc_open(inst->ipc);
        if (ipc_child >= 0)
            fds[n++] = (struct spawn_fd){ipc_child, 3 + n_listen};
    }
    struct app_env_extras x = {
        .n_listen_fds = n_listen,
        .listen_fdnames =
            inst->listen_fdnames && *inst->listen_fdnames ? inst->listen_fdnames : NULL,
        .notify_socket = inst->notify_name,
        .broker = s->preload ? inst->broker_name : NULL,
        .preload = s->preload,
        .node_channel_fd = ipc_child >= 0 ? 3 + n_listen : -1,
    };
    char *listen_pid_slot = NULL;
    char **envp = app_env_build(s->envp, &x, &listen_pid_slot);
    if (!envp) {
        if (ipc_child >= 0)
            close(ipc_child);
        snprintf(inst->reason, sizeof(inst->reason), "start failed: out of memory");
        return -ENOMEM;
    }
    struct spawn_opts o = {
        .file = s->file,
        .argv = s->argv,
        .envp = envp,
        .listen_pid_env = listen_pid_slot,
        .cwd = s->cwd,
        .fds = fds,
        .n_fds = n,
        .new_session = 1,
        .into_cgroup = inst->tree.cgroup_dirfd >= 0,
        .cgroup_dir_fd = inst->tree.cgroup_dirfd,
        .set_ids = s->set_ids,
        .uid = (uid_t)s->uid,
        .gid = (gid_t)s->gid,
        .user = s->user,
    };
    pid_t pid;
    const char *step;
    int r = spawn_process(&o, &pid, &step);
    free(envp);
    if (ipc_child >= 0)
        close(ipc_child);
    if (r < 0) {
        if (inst->ipc)
            node_ipc_close(inst->ipc);
        if (strcmp(step, "exec") == 0)
            snprintf(inst->reason, sizeof(inst->reason), "exec failed: %s: %s (exit %d)", s->file,
                     strerror(-r), spawn_exec_exit_code(r));
        else
            snprintf(inst->reason, sizeof(inst->reason), "start failed at %s: %s", step,
                     strerror(-r));
        inst->exit_code = spawn_exec_exit_code(r);
        return r;
    }
    inst->pid = pid;
    inst->pidfd = pidfd_open_cloexec(pid);
    struct proc_stat st;
    inst->pid_start_time = proc_read_stat(pid, &st) == 0 ? st.start_time : 0;
    return 0;
}

static void real_signal_tree(struct instance *inst)
{
    if (!(inst->spec->shutdown_with_message && inst->pid && inst->ipc &&
          node_ipc_send(inst->ipc, "\"shutdown\"") == 0))
        tree_signal(app_tree(inst), inst->spec->kill_signal);
}

static size_t real_kill_tree(struct instance *inst)
{
    return tree_kill(app_tree(inst));
}

static size_t real_tree_count(struct instance *inst)
{
    return tree_count(app_tree(inst));
}

static int real_probe_serving(struct instance *inst)
{
    ino_t inodes[SPEC_MAX_LISTEN_FDS];
    size_t n = 0;
    for (int i = 0; inst->n_listen_fds && i < *inst->n_listen_fds && n < SPEC_MAX_LISTEN_FDS; i++) {
        struct stat st;
        if (fstat(inst->listen_fds[i], &st) == 0)
            inodes[n++] = st.st_ino;
    }
    return n > 0 && serve_probe(app_tree(inst), inodes, n);
}

static int real_drain_begin(struct instance *inst)
{
    if (!inst->drain || !inst->n_listen_fds)
        return 0;
    return drain_begin(inst->drain, inst->listen_fds, *inst->n_listen_fds);
}

static int real_drain_poll(struct instance *inst)
{
    return drain_poll(inst->drain, app_tree(inst));
}

static void real_drain_end(struct instance *inst)
{
    drain_end(inst->drain);
}

static void real_note(struct instance *inst, const char *line)
{
    logger_note(inst->logger, LOG_STREAM_ERR, line);
}

const struct instance_ops instance_real_ops = {
    .spawn = real_spawn,
    .signal_tree = real_signal_tree,
    .kill_tree = real_kill_tree,
    .tree_count = real_tree_count,
    .note = real_note,
    .probe_serving = real_probe_serving,
    .drain_begin = real_drain_begin,
    .drain_poll = real_drain_poll,
    .drain_end = real_drain_end,
};
