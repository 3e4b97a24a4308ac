/* Unit tests for sup/instance.c: every cell of the supervisor's
 * [state][event] table, driven through the real state machine with fake
 * effects (struct instance_ops) and a real event loop that never runs (armed
 * timers are checked by id, their events are fed by hand).
 *
 * The expectations below are written from the table and the legend in
 * instance.h, not from `transitions` in instance.c: when the code and the
 * documented table disagree, a cell here fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/macros.h"
#include "base/timeutil.h"
#include "loop/loop.h"
#include "proto/spec.h"
#include "proto/status.h"
#include "sup/instance.h"

/* --- fake effects --------------------------------------------------------- */

struct fake {
    int spawns, signals, kills, notes, exits, changes;
    int spawn_fails;     /* the next spawns fail like a failed exec */
    size_t tree;         /* what tree_count and kill_tree report */
    pid_t next_pid;      /* pids handed out by spawn */
    enum sup_state seen; /* the state on_change saw last */
    char last_note[320];
    int drain_begins, drain_polls, drain_ends;
    int drain_pending; /* what drain_poll reports */
};

static struct fake fake;

static int fake_spawn(struct instance *inst)
{
    fake.spawns++;
    if (fake.spawn_fails) {
        snprintf(inst->reason, sizeof(inst->reason), "exec failed: /nonexistent: test");
        return -ENOENT;
    }
    inst->pid = ++fake.next_pid;
    fake.tree = 1; /* the main process */
    return 0;
}

static void fake_signal_tree(struct instance *inst)
{
    (void)inst;
    fake.signals++;
}

static size_t fake_kill_tree(struct instance *inst)
{
    (void)inst;
    fake.kills++;
    return fake.tree; /* they die later: the count is for tree_count to change */
}

static size_t fake_tree_count(struct instance *inst)
{
    (void)inst;
    return fake.tree;
}

static void fake_note(struct instance *inst, const char *line)
{
    (void)inst;
    fake.notes++;
    snprintf(fake.last_note, sizeof(fake.last_note), "%s", line);
}

static const struct instance_ops fake_ops = {
    .spawn = fake_spawn,
    .signal_tree = fake_signal_tree,
    .kill_tree = fake_kill_tree,
    .tree_count = fake_tree_count,
    .note = fake_note,
};

static int fake_drain_begin(struct instance *inst)
{
    (void)inst;
    fake.drain_begins++;
    return 1;
}

static int fake_drain_poll(struct instance *inst)
{
    (void)inst;
    fake.drain_polls++;
    return fake.drain_pending;
}

static void fake_drain_end(struct instance *inst)
{
    (void)inst;
    fake.drain_ends++;
}

/* The same, for a run that has sockets to drain. */
static const struct instance_ops fake_drain_ops = {
    .spawn = fake_spawn,
    .signal_tree = fake_signal_tree,
    .kill_tree = fake_kill_tree,
    .tree_count = fake_tree_count,
    .note = fake_note,
    .drain_begin = fake_drain_begin,
    .drain_poll = fake_drain_poll,
    .drain_end = fake_drain_end,
};

static void on_change(struct instance *inst, void *data)
{
    (void)data;
    fake.changes++;
    fake.seen = inst->state;
}

static void on_exit_cb(struct instance *inst, void *data)
{
    (void)inst;
    (void)data;
    fake.exits++;
}

/* Forgets what the fakes recorded (not the world: tree, pids). */
static void fake_clear_calls(void)
{
    fake.spawns = fake.signals = fake.kills = fake.notes = fake.exits = fake.changes = 0;
    fake.seen = SUP__STATES;
    fake.last_note[0] = '\0';
}

/* --- the instance under test --------------------------------------------- */

static char *test_argv[] = {"true", NULL};

struct fixture {
    struct ev_loop *loop;
    struct inst_spec spec;
    struct instance inst;
};

/* The policy used everywhere: a run shorter than 1 s is unstable (every run
 * here is), 16 of them in a row are errored, restarts wait 100 ms. */
static void fixture_init(struct fixture *f)
{
    memset(&fake, 0, sizeof(fake));
    fake.next_pid = 1000;
    fake_clear_calls();
    memset(f, 0, sizeof(*f));
    f->loop = ev_loop_new();
    assert_non_null(f->loop);
    f->spec.name = "app";
    f->spec.sock_path = "/nonexistent/sup.sock";
    f->spec.file = "/bin/true";
    f->spec.argv = test_argv;
    f->spec.envp = test_argv + 1;
    f->spec.autorestart = 1;
    f->spec.min_uptime_ms = 1000;
    f->spec.max_restarts = 16;
    f->spec.restart_delay_ms = 100;
    f->spec.exp_backoff_ms = 0;
    f->spec.kill_signal = SIGINT;
    f->spec.kill_timeout_ms = 1600;
    f->spec.readiness = READY_LISTEN;
    f->spec.listen_timeout_ms = 8000;
    instance_init(&f->inst, f->loop, &f->spec, &fake_ops, NULL, -1, -1);
    f->inst.on_change = on_change;
    f->inst.on_exit = on_exit_cb;
}

static void fixture_free(struct fixture *f)
{
    ev_loop_free(f->loop);
}

/* --- the world's events, as instance.c's callers deliver them ------------- */

/* The main process was reaped (instance_on_sigchld): the pid is forgotten
 * before the event; `leftovers` processes of its tree still run. */
static int main_exits(struct instance *inst, int exit_code, size_t leftovers)
{
    inst->exit_code = exit_code;
    inst->exit_signal = 0;
    inst->pid = 0;
    inst->ready = 0;
    fake.tree = leftovers;
    return instance_event(inst, EV_MAIN_EXIT);
}

/* A timer fired: the loop dropped it and its callback zeroed the id. */
static int timer_fires(struct instance *inst, int64_t *id, enum sup_event ev)
{
    ev_timer_cancel(inst->loop, *id);
    *id = 0;
    return instance_event(inst, ev);
}

/* Feeds ev the way the world would deliver it. tree: the processes of the
 * tree alive when it happens (MAIN_EXIT: the leftovers), or KEEP. */
#define KEEP ((int)-1)

static int fire(struct instance *inst, enum sup_event ev, int tree)
{
    if (tree != KEEP && ev != EV_MAIN_EXIT)
        fake.tree = (size_t)tree;
    switch (ev) {
    case EV_MAIN_EXIT:
        return main_exits(inst, 1, tree == KEEP ? 0 : (size_t)tree);
    case EV_TREE_EMPTY:
        inst->pid = 0;
        fake.tree = 0;
        return instance_event(inst, ev);
    case EV_KILL_TIMER:
        return timer_fires(inst, &inst->kill_timer, ev);
    case EV_RESTART_TIMER:
        return timer_fires(inst, &inst->restart_timer, ev);
    case EV_READY_TIMEOUT:
        return timer_fires(inst, &inst->ready_timer, ev);
    default:
        return instance_event(inst, ev);
    }
}

/* --- reaching each state from STOPPED, through events only --------------- */

static void expect_state(const struct instance *inst, enum sup_state s)
{
    if (inst->state != s)
        fail_msg("reaching %s: in state %s", instance_state_name(s),
                 instance_state_name(inst->state));
}

static void to_stopped(struct fixture *f)
{
    expect_state(&f->inst, SUP_STOPPED);
}

static void to_launching(struct fixture *f)
{
    assert_int_equal(fire(&f->inst, EV_START, KEEP), 0);
    expect_state(&f->inst, SUP_LAUNCHING);
}

static void to_online(struct fixture *f)
{
    to_launching(f);
    assert_int_equal(fire(&f->inst, EV_READY, KEEP), 0);
    expect_state(&f->inst, SUP_ONLINE);
}

/* The main process crashed, one process of its tree still runs. */
static void to_cleaning(struct fixture *f)
{
    to_online(f);
    assert_int_equal(fire(&f->inst, EV_MAIN_EXIT, 1), 0);
    expect_state(&f->inst, SUP_CLEANING);
}

static void to_stop_to_stopped(struct fixture *f)
{
    to_online(f);
    assert_int_equal(fire(&f->inst, EV_STOP, KEEP), 0);
    expect_state(&f->inst, SUP_STOP_TO_STOPPED);
}

static void to_stop_to_restart(struct fixture *f)
{
    to_online(f);
    assert_int_equal(fire(&f->inst, EV_RESTART, KEEP), 0);
    expect_state(&f->inst, SUP_STOP_TO_RESTART);
}

static void to_stop_to_exit(struct fixture *f)
{
    to_online(f);
    assert_int_equal(fire(&f->inst, EV_DELETE, KEEP), 0);
    expect_state(&f->inst, SUP_STOP_TO_EXIT);
}

/* Not ready within listen_timeout. */
static void to_stop_to_errored(struct fixture *f)
{
    to_launching(f);
    assert_int_equal(fire(&f->inst, EV_READY_TIMEOUT, KEEP), 0);
    expect_state(&f->inst, SUP_STOP_TO_ERRORED);
}

/* The main process crashed alone: the policy waits restart_delay. */
static void to_waiting(struct fixture *f)
{
    to_online(f);
    assert_int_equal(fire(&f->inst, EV_MAIN_EXIT, 0), 0);
    expect_state(&f->inst, SUP_WAITING);
}

/* The exec failed. */
static void to_errored(struct fixture *f)
{
    fake.spawn_fails = 1;
    assert_int_equal(fire(&f->inst, EV_START, KEEP), 0);
    fake.spawn_fails = 0;
    expect_state(&f->inst, SUP_ERRORED);
}

static void to_exited(struct fixture *f)
{
    assert_int_equal(fire(&f->inst, EV_DELETE, 0), 0);
    expect_state(&f->inst, SUP_EXITED);
}

static void (*const reach[SUP__STATES])(struct fixture *) = {
    [SUP_STOPPED] = to_stopped,
    [SUP_LAUNCHING] = to_launching,
    [SUP_ONLINE] = to_online,
    [SUP_CLEANING] = to_cleaning,
    [SUP_STOP_TO_STOPPED] = to_stop_to_stopped,
    [SUP_STOP_TO_RESTART] = to_stop_to_restart,
    [SUP_STOP_TO_EXIT] = to_stop_to_exit,
    [SUP_STOP_TO_ERRORED] = to_stop_to_errored,
    [SUP_WAITING] = to_waiting,
    [SUP_ERRORED] = to_errored,
    [SUP_EXITED] = to_exited,
};

/* --- the table, from instance.h ------------------------------------------- */

/* Next states beside the real ones. */
#define RUN ((int)SUP__STATES + 1)  /* a new run: LAUNCHING, ONLINE or ERRORED */
#define SAME ((int)SUP__STATES + 2) /* unchanged */

/* Return values. */
#define OK 0
#define ALREADY (-EALREADY) /* "=" */
#define REFUSE (-ESHUTDOWN)

/* Effects. */
enum {
    FX_SPAWN = 1 << 0,  /* a run was started */
    FX_SIGNAL = 1 << 1, /* stop signal to the tree and a new kill timer */
    FX_KILL = 1 << 2,   /* SIGKILL of the tree */
    FX_EXIT = 1 << 3,   /* on_exit: the supervisor is done */
};

/* What happens to the counters (preset to restarts 5, unstable 3, backoff
 * 1500 before the event). */
enum counters_fx {
    C_SAME,   /* untouched */
    C_FRESH,  /* *: unstable count and backoff start over */
    C_USER,   /* +: a user restart, counted; unstable count and backoff reset */
    C_POLICY, /* the policy planned a restart after an unstable run (not counted yet) */
    C_CRASH,  /* ++: the planned restart runs, and is counted */
};

#define PRE_RESTARTS 5
#define PRE_UNSTABLE 3
#define PRE_BACKOFF 1500

struct cell {
    enum sup_state state;
    enum sup_event event;
    int tree; /* processes of the tree when the event comes (MAIN_EXIT: leftovers), KEEP */
    int ret;
    int next; /* enum sup_state, RUN or SAME */
    unsigned fx;
    enum counters_fx counters;
    const char *doc; /* the cell as instance.h draws it */
};

/* clang-format off */
#define IGNORED(st, ev) {st, ev, KEEP, OK, SAME, 0, C_SAME, "-"}

static const struct cell cells[] = {
    /* STOPPED */
    {SUP_STOPPED, EV_START,   KEEP, OK,      RUN,  FX_SPAWN, C_FRESH, "run*"},
    {SUP_STOPPED, EV_STOP,    KEEP, ALREADY, SAME, 0,        C_SAME,  "="},
    {SUP_STOPPED, EV_RESTART, KEEP, OK,      RUN,  FX_SPAWN, C_FRESH, "run*"},
    {SUP_STOPPED, EV_DELETE,  0,    OK,      SUP_EXITED, FX_EXIT, C_SAME, "exit"},
    {SUP_STOPPED, EV_DELETE,  1,    OK,      SUP_STOP_TO_EXIT, FX_SIGNAL, C_SAME,
     "exit (leftovers of an earlier run)"},
    IGNORED(SUP_STOPPED, EV_READY),
    IGNORED(SUP_STOPPED, EV_READY_TIMEOUT),
    IGNORED(SUP_STOPPED, EV_MAIN_EXIT),
    IGNORED(SUP_STOPPED, EV_TREE_EMPTY),
    IGNORED(SUP_STOPPED, EV_KILL_TIMER),
    IGNORED(SUP_STOPPED, EV_DRAINED),
    IGNORED(SUP_STOPPED, EV_RESTART_TIMER),

    /* LAUNCHING */
    {SUP_LAUNCHING, EV_START,         KEEP, ALREADY, SAME, 0, C_SAME, "="},
    {SUP_LAUNCHING, EV_STOP,          KEEP, OK, SUP_STOP_TO_STOPPED, FX_SIGNAL, C_SAME, "stop>S"},
    {SUP_LAUNCHING, EV_RESTART,       KEEP, OK, SUP_STOP_TO_RESTART, FX_SIGNAL, C_USER, "stop>R+"},
    {SUP_LAUNCHING, EV_DELETE,        KEEP, OK, SUP_STOP_TO_EXIT,    FX_SIGNAL, C_SAME, "stop>X"},
    {SUP_LAUNCHING, EV_READY,         KEEP, OK, SUP_ONLINE,          0,         C_SAME, "online"},
    {SUP_LAUNCHING, EV_READY_TIMEOUT, KEEP, OK, SUP_STOP_TO_ERRORED, FX_SIGNAL, C_SAME, "stop>E"},
    {SUP_LAUNCHING, EV_MAIN_EXIT,     0,    OK, SUP_WAITING,         0,         C_POLICY,
     "crashed (alone: policy)"},
    {SUP_LAUNCHING, EV_MAIN_EXIT,     1,    OK, SUP_CLEANING,        FX_SIGNAL, C_SAME,
     "crashed (leftovers: CLEANING)"},
    IGNORED(SUP_LAUNCHING, EV_TREE_EMPTY),
    IGNORED(SUP_LAUNCHING, EV_KILL_TIMER),
    IGNORED(SUP_LAUNCHING, EV_DRAINED),
    IGNORED(SUP_LAUNCHING, EV_RESTART_TIMER),

    /* ONLINE */
    {SUP_ONLINE, EV_START,     KEEP, ALREADY, SAME, 0, C_SAME, "="},
    {SUP_ONLINE, EV_STOP,      KEEP, OK, SUP_STOP_TO_STOPPED, FX_SIGNAL, C_SAME, "stop>S"},
    {SUP_ONLINE, EV_RESTART,   KEEP, OK, SUP_STOP_TO_RESTART, FX_SIGNAL, C_USER, "stop>R+"},
    {SUP_ONLINE, EV_DELETE,    KEEP, OK, SUP_STOP_TO_EXIT,    FX_SIGNAL, C_SAME, "stop>X"},
    IGNORED(SUP_ONLINE, EV_READY),
    IGNORED(SUP_ONLINE, EV_READY_TIMEOUT),
    {SUP_ONLINE, EV_MAIN_EXIT, 0,    OK, SUP_WAITING,         0,         C_POLICY,
     "crashed (alone: policy)"},
    {SUP_ONLINE, EV_MAIN_EXIT, 1,    OK, SUP_CLEANING,        FX_SIGNAL, C_SAME,
     "crashed (leftovers: CLEANING)"},
    IGNORED(SUP_ONLINE, EV_TREE_EMPTY),
    IGNORED(SUP_ONLINE, EV_KILL_TIMER),
    IGNORED(SUP_ONLINE, EV_DRAINED),
    IGNORED(SUP_ONLINE, EV_RESTART_TIMER),

    /* CLEANING (the main process is gone, one leftover runs) */
    {SUP_CLEANING, EV_START,      KEEP, ALREADY, SAME, 0, C_SAME, "="},
    {SUP_CLEANING, EV_STOP,       KEEP, OK, SUP_STOP_TO_STOPPED, 0, C_SAME, ">S"},
    {SUP_CLEANING, EV_RESTART,    KEEP, OK, SUP_STOP_TO_RESTART, 0, C_USER, ">R+"},
    {SUP_CLEANING, EV_DELETE,     KEEP, OK, SUP_STOP_TO_EXIT,    0, C_SAME, ">X"},
    IGNORED(SUP_CLEANING, EV_READY),
    IGNORED(SUP_CLEANING, EV_READY_TIMEOUT),
    IGNORED(SUP_CLEANING, EV_MAIN_EXIT),
    {SUP_CLEANING, EV_TREE_EMPTY, KEEP, OK, SUP_WAITING, 0,       C_POLICY, "policy"},
    {SUP_CLEANING, EV_KILL_TIMER, 1,    OK, SAME,        FX_KILL, C_SAME,   "kill"},
    /* no drain here (the fakes have none): the signal went already */
    {SUP_CLEANING, EV_DRAINED, KEEP, OK, SAME, 0, C_SAME, "signal"},
    IGNORED(SUP_CLEANING, EV_RESTART_TIMER),

    /* STOP>S (the main process still runs) */
    {SUP_STOP_TO_STOPPED, EV_START,      KEEP, OK, SUP_STOP_TO_RESTART, 0, C_SAME, ">R"},
    {SUP_STOP_TO_STOPPED, EV_STOP,       KEEP, ALREADY, SAME, 0, C_SAME, "="},
    {SUP_STOP_TO_STOPPED, EV_RESTART,    KEEP, OK, SUP_STOP_TO_RESTART, 0, C_USER, ">R+"},
    {SUP_STOP_TO_STOPPED, EV_DELETE,     KEEP, OK, SUP_STOP_TO_EXIT,    0, C_SAME, ">X"},
    IGNORED(SUP_STOP_TO_STOPPED, EV_READY),
    IGNORED(SUP_STOP_TO_STOPPED, EV_READY_TIMEOUT),
    {SUP_STOP_TO_STOPPED, EV_MAIN_EXIT,  1,    OK, SAME,        0, C_SAME, "check (leftovers)"},
    {SUP_STOP_TO_STOPPED, EV_MAIN_EXIT,  0,    OK, SUP_STOPPED, 0, C_SAME, "check (tree empty)"},
    {SUP_STOP_TO_STOPPED, EV_TREE_EMPTY, KEEP, OK, SUP_STOPPED, 0, C_SAME, "STOPPED"},
    {SUP_STOP_TO_STOPPED, EV_KILL_TIMER, 1,    OK, SAME, FX_KILL, C_SAME, "kill"},
    /* no drain here (the fakes have none): the signal went already */
    {SUP_STOP_TO_STOPPED, EV_DRAINED, KEEP, OK, SAME, 0, C_SAME, "signal"},
    IGNORED(SUP_STOP_TO_STOPPED, EV_RESTART_TIMER),

    /* STOP>R */
    {SUP_STOP_TO_RESTART, EV_START,      KEEP, ALREADY, SAME, 0, C_SAME, "="},
    {SUP_STOP_TO_RESTART, EV_STOP,       KEEP, OK, SUP_STOP_TO_STOPPED, 0, C_SAME, ">S"},
    /* "=": a restart is already under way (the first request counted it) */
    {SUP_STOP_TO_RESTART, EV_RESTART,    KEEP, ALREADY, SAME, 0, C_SAME, "="},
    {SUP_STOP_TO_RESTART, EV_DELETE,     KEEP, OK, SUP_STOP_TO_EXIT,    0, C_SAME, ">X"},
    IGNORED(SUP_STOP_TO_RESTART, EV_READY),
    IGNORED(SUP_STOP_TO_RESTART, EV_READY_TIMEOUT),
    {SUP_STOP_TO_RESTART, EV_MAIN_EXIT,  1,    OK, SAME, 0,        C_SAME, "check (leftovers)"},
    {SUP_STOP_TO_RESTART, EV_MAIN_EXIT,  0,    OK, RUN,  FX_SPAWN, C_SAME, "check (tree empty)"},
    {SUP_STOP_TO_RESTART, EV_TREE_EMPTY, KEEP, OK, RUN,  FX_SPAWN, C_SAME, "run"},
    {SUP_STOP_TO_RESTART, EV_KILL_TIMER, 1,    OK, SAME, FX_KILL,  C_SAME, "kill"},
    /* no drain here (the fakes have none): the signal went already */
    {SUP_STOP_TO_RESTART, EV_DRAINED, KEEP, OK, SAME, 0, C_SAME, "signal"},
    IGNORED(SUP_STOP_TO_RESTART, EV_RESTART_TIMER),

    /* STOP>X */
    {SUP_STOP_TO_EXIT, EV_START,      KEEP, REFUSE,  SAME, 0, C_SAME, "refuse"},
    {SUP_STOP_TO_EXIT, EV_STOP,       KEEP, REFUSE,  SAME, 0, C_SAME, "refuse"},
    {SUP_STOP_TO_EXIT, EV_RESTART,    KEEP, REFUSE,  SAME, 0, C_SAME, "refuse"},
    {SUP_STOP_TO_EXIT, EV_DELETE,     KEEP, ALREADY, SAME, 0, C_SAME, "="},
    IGNORED(SUP_STOP_TO_EXIT, EV_READY),
    IGNORED(SUP_STOP_TO_EXIT, EV_READY_TIMEOUT),
    {SUP_STOP_TO_EXIT, EV_MAIN_EXIT,  1,    OK, SAME,       0,       C_SAME, "check (leftovers)"},
    {SUP_STOP_TO_EXIT, EV_MAIN_EXIT,  0,    OK, SUP_EXITED, FX_EXIT, C_SAME, "check (tree empty)"},
    {SUP_STOP_TO_EXIT, EV_TREE_EMPTY, KEEP, OK, SUP_EXITED, FX_EXIT, C_SAME, "exit"},
    {SUP_STOP_TO_EXIT, EV_KILL_TIMER, 1,    OK, SAME,       FX_KILL, C_SAME, "kill"},
    /* no drain here (the fakes have none): the signal went already */
    {SUP_STOP_TO_EXIT, EV_DRAINED, KEEP, OK, SAME, 0, C_SAME, "signal"},
    IGNORED(SUP_STOP_TO_EXIT, EV_RESTART_TIMER),

    /* STOP>E (not ready in time; the main process still runs) */
    {SUP_STOP_TO_ERRORED, EV_START,      KEEP, OK, SUP_STOP_TO_RESTART, 0, C_SAME, ">R"},
    {SUP_STOP_TO_ERRORED, EV_STOP,       KEEP, OK, SUP_STOP_TO_STOPPED, 0, C_SAME, ">S"},
    {SUP_STOP_TO_ERRORED, EV_RESTART,    KEEP, OK, SUP_STOP_TO_RESTART, 0, C_USER, ">R+"},
    {SUP_STOP_TO_ERRORED, EV_DELETE,     KEEP, OK, SUP_STOP_TO_EXIT,    0, C_SAME, ">X"},
    IGNORED(SUP_STOP_TO_ERRORED, EV_READY),
    IGNORED(SUP_STOP_TO_ERRORED, EV_READY_TIMEOUT),
    {SUP_STOP_TO_ERRORED, EV_MAIN_EXIT,  1,    OK, SAME,        0, C_SAME, "check (leftovers)"},
    {SUP_STOP_TO_ERRORED, EV_MAIN_EXIT,  0,    OK, SUP_ERRORED, 0, C_SAME, "check (tree empty)"},
    {SUP_STOP_TO_ERRORED, EV_TREE_EMPTY, KEEP, OK, SUP_ERRORED, 0, C_SAME, "ERRORED"},
    {SUP_STOP_TO_ERRORED, EV_KILL_TIMER, 1,    OK, SAME, FX_KILL, C_SAME, "kill"},
    /* no drain here (the fakes have none): the signal went already */
    {SUP_STOP_TO_ERRORED, EV_DRAINED, KEEP, OK, SAME, 0, C_SAME, "signal"},
    IGNORED(SUP_STOP_TO_ERRORED, EV_RESTART_TIMER),

    /* WAITING (restart timer armed) */
    {SUP_WAITING, EV_START,         KEEP, OK, RUN,         FX_SPAWN, C_SAME, "run"},
    {SUP_WAITING, EV_STOP,          KEEP, OK, SUP_STOPPED, 0,        C_SAME, "STOPPED"},
    {SUP_WAITING, EV_RESTART,       KEEP, OK, RUN,         FX_SPAWN, C_USER, "run+"},
    {SUP_WAITING, EV_DELETE,        0,    OK, SUP_EXITED,  FX_EXIT,  C_SAME, "exit"},
    {SUP_WAITING, EV_DELETE,        1,    OK, SUP_STOP_TO_EXIT, FX_SIGNAL, C_SAME,
     "exit (leftovers of an earlier run)"},
    IGNORED(SUP_WAITING, EV_READY),
    IGNORED(SUP_WAITING, EV_READY_TIMEOUT),
    IGNORED(SUP_WAITING, EV_MAIN_EXIT),
    IGNORED(SUP_WAITING, EV_TREE_EMPTY),
    IGNORED(SUP_WAITING, EV_KILL_TIMER),
    IGNORED(SUP_WAITING, EV_DRAINED),
    {SUP_WAITING, EV_RESTART_TIMER, KEEP, OK, RUN,         FX_SPAWN, C_CRASH, "run++"},

    /* ERRORED */
    {SUP_ERRORED, EV_START,   KEEP, OK, RUN,         FX_SPAWN, C_FRESH, "run*"},
    {SUP_ERRORED, EV_STOP,    KEEP, OK, SUP_STOPPED, 0,        C_SAME,  "STOPPED"},
    {SUP_ERRORED, EV_RESTART, KEEP, OK, RUN,         FX_SPAWN, C_FRESH, "run*"},
    {SUP_ERRORED, EV_DELETE,  0,    OK, SUP_EXITED,  FX_EXIT,  C_SAME,  "exit"},
    {SUP_ERRORED, EV_DELETE,  1,    OK, SUP_STOP_TO_EXIT, FX_SIGNAL, C_SAME,
     "exit (leftovers of an earlier run)"},
    IGNORED(SUP_ERRORED, EV_READY),
    IGNORED(SUP_ERRORED, EV_READY_TIMEOUT),
    IGNORED(SUP_ERRORED, EV_MAIN_EXIT),
    IGNORED(SUP_ERRORED, EV_TREE_EMPTY),
    IGNORED(SUP_ERRORED, EV_KILL_TIMER),
    IGNORED(SUP_ERRORED, EV_DRAINED),
    IGNORED(SUP_ERRORED, EV_RESTART_TIMER),

    /* EXITED */
    {SUP_EXITED, EV_START,   KEEP, REFUSE,  SAME, 0, C_SAME, "refuse"},
    {SUP_EXITED, EV_STOP,    KEEP, REFUSE,  SAME, 0, C_SAME, "refuse"},
    {SUP_EXITED, EV_RESTART, KEEP, REFUSE,  SAME, 0, C_SAME, "refuse"},
    {SUP_EXITED, EV_DELETE,  KEEP, ALREADY, SAME, 0, C_SAME, "="},
    IGNORED(SUP_EXITED, EV_READY),
    IGNORED(SUP_EXITED, EV_READY_TIMEOUT),
    IGNORED(SUP_EXITED, EV_MAIN_EXIT),
    IGNORED(SUP_EXITED, EV_TREE_EMPTY),
    IGNORED(SUP_EXITED, EV_KILL_TIMER),
    IGNORED(SUP_EXITED, EV_DRAINED),
    IGNORED(SUP_EXITED, EV_RESTART_TIMER),
};
/* clang-format on */

#define N_CELLS (sizeof(cells) / sizeof(cells[0]))

/* How a run ends up: readiness "listen" (LAUNCHING), "spawn" or "serving"
 * (ONLINE at once), or a failed exec (ERRORED). */
enum run_variant { RUN_LISTEN, RUN_SPAWN_READY, RUN_SERVING_READY, RUN_EXEC_FAILS, RUN__VARIANTS };

static const char *const variant_names[RUN__VARIANTS] = {"readiness listen", "readiness spawn",
                                                         "readiness serving", "exec fails"};

static int is_stopping(enum sup_state s)
{
    return s == SUP_CLEANING || s == SUP_STOP_TO_STOPPED || s == SUP_STOP_TO_RESTART ||
           s == SUP_STOP_TO_EXIT || s == SUP_STOP_TO_ERRORED;
}

static int is_at_rest(enum sup_state s)
{
    return s == SUP_STOPPED || s == SUP_ERRORED || s == SUP_EXITED;
}

/* Problems found in a cell, reported together. */
struct report {
    char where[160];
    int problems;
};

static void problem(struct report *rp, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void problem(struct report *rp, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    print_error("%s: %s\n", rp->where, what);
    rp->problems++;
}

/* Timers the documented states imply: LAUNCHING has its ready timer,
 * WAITING its restart timer, ONLINE none of them, a state at rest no timer
 * at all, a stopping state no ready or restart timer. */
static void check_timers(struct report *rp, const struct instance *inst)
{
    enum sup_state s = inst->state;
    if ((s == SUP_LAUNCHING) != (inst->ready_timer != 0))
        problem(rp, "%s with ready_timer %lld", instance_state_name(s),
                (long long)inst->ready_timer);
    if ((s == SUP_WAITING) != (inst->restart_timer != 0))
        problem(rp, "%s with restart_timer %lld", instance_state_name(s),
                (long long)inst->restart_timer);
    if (!is_stopping(s) && inst->kill_timer)
        problem(rp, "%s with kill_timer %lld", instance_state_name(s), (long long)inst->kill_timer);
    if (is_at_rest(s) && inst->recheck_timer)
        problem(rp, "%s with recheck_timer %lld", instance_state_name(s),
                (long long)inst->recheck_timer);
}

static enum sup_state resolve_next(const struct cell *c, enum run_variant v)
{
    if (c->next == SAME)
        return c->state;
    if (c->next == RUN)
        return v == RUN_LISTEN ? SUP_LAUNCHING : v == RUN_EXEC_FAILS ? SUP_ERRORED : SUP_ONLINE;
    return (enum sup_state)c->next;
}

static int run_cell(const struct cell *c, enum run_variant v)
{
    struct fixture f;
    struct report rp = {.problems = 0};
    snprintf(rp.where, sizeof(rp.where), "[%s][%s] \"%s\"%s%s", instance_state_name(c->state),
             instance_event_name(c->event), c->doc, c->next == RUN ? ", " : "",
             c->next == RUN ? variant_names[v] : "");
    fixture_init(&f);
    struct instance *inst = &f.inst;
    reach[c->state](&f);
    check_timers(&rp, inst);

    /* what the cell starts from */
    inst->counters = (struct restart_counters){PRE_RESTARTS, PRE_UNSTABLE, PRE_BACKOFF};
    if (v == RUN_SPAWN_READY)
        f.spec.readiness = READY_SPAWN;
    if (v == RUN_SERVING_READY)
        f.spec.readiness = READY_SERVING;
    fake.spawn_fails = v == RUN_EXEC_FAILS;
    int64_t kill_timer_before = inst->kill_timer;
    int64_t restart_timer_before = inst->restart_timer;
    int64_t ready_timer_before = inst->ready_timer;
    fake_clear_calls();

    int ret = fire(inst, c->event, c->tree);

    enum sup_state want = resolve_next(c, v);
    if (ret != c->ret)
        problem(&rp, "returned %d, expected %d", ret, c->ret);
    if (inst->state != want)
        problem(&rp, "state %s, expected %s", instance_state_name(inst->state),
                instance_state_name(want));

    /* effects */
    int want_spawns = (c->fx & FX_SPAWN) ? 1 : 0;
    if (fake.spawns != want_spawns)
        problem(&rp, "%d spawn(s), expected %d", fake.spawns, want_spawns);
    int want_signals = (c->fx & FX_SIGNAL) ? 1 : 0;
    if (fake.signals != want_signals)
        problem(&rp, "%d stop signal(s) to the tree, expected %d", fake.signals, want_signals);
    if ((fake.kills > 0) != ((c->fx & FX_KILL) != 0))
        problem(&rp, "%d SIGKILL(s) of the tree, expected %s", fake.kills,
                (c->fx & FX_KILL) ? "one" : "none");
    int want_exits = (c->fx & FX_EXIT) ? 1 : 0;
    if (fake.exits != want_exits)
        problem(&rp, "on_exit called %d time(s), expected %d", fake.exits, want_exits);
    if (c->fx & FX_SIGNAL) {
        if (!inst->kill_timer || inst->kill_timer == kill_timer_before)
            problem(&rp, "no new kill timer after the stop signal (%lld, was %lld)",
                    (long long)inst->kill_timer, (long long)kill_timer_before);
    } else if (is_stopping(c->state) && is_stopping(inst->state) && c->event != EV_KILL_TIMER &&
               inst->kill_timer != kill_timer_before) {
        /* already stopping: only what comes after changes */
        problem(&rp, "kill timer changed from %lld to %lld", (long long)kill_timer_before,
                (long long)inst->kill_timer);
    }

    /* the event means nothing: nothing at all happens */
    if (c->ret != OK || strcmp(c->doc, "-") == 0) {
        if (fake.changes)
            problem(&rp, "on_change called %d time(s) for nothing", fake.changes);
        if (c->event != EV_KILL_TIMER && c->event != EV_RESTART_TIMER &&
            c->event != EV_READY_TIMEOUT &&
            (inst->kill_timer != kill_timer_before || inst->restart_timer != restart_timer_before ||
             inst->ready_timer != ready_timer_before))
            problem(&rp, "timers changed");
    }
    /* every state change is news, and the news is the current state */
    if (inst->state != c->state && fake.changes == 0)
        problem(&rp, "state changed without on_change");
    if (fake.changes && fake.seen != inst->state)
        problem(&rp, "on_change saw %s last, the state is %s", instance_state_name(fake.seen),
                instance_state_name(inst->state));
    check_timers(&rp, inst);

    /* counters */
    struct restart_counters k = inst->counters;
    switch (c->counters) {
    case C_SAME:
        if (k.restarts != PRE_RESTARTS || k.unstable_restarts != PRE_UNSTABLE ||
            k.backoff_ms != PRE_BACKOFF)
            problem(&rp, "counters changed to restarts %lld unstable %lld backoff %lld",
                    (long long)k.restarts, (long long)k.unstable_restarts, (long long)k.backoff_ms);
        break;
    case C_FRESH:
        if (k.restarts != PRE_RESTARTS || k.unstable_restarts != 0 || k.backoff_ms != 0)
            problem(&rp, "run*: restarts %lld unstable %lld backoff %lld, expected %d 0 0",
                    (long long)k.restarts, (long long)k.unstable_restarts, (long long)k.backoff_ms,
                    PRE_RESTARTS);
        break;
    case C_USER:
        if (k.restarts != PRE_RESTARTS + 1 || k.unstable_restarts != 0 || k.backoff_ms != 0)
            problem(&rp, "user restart: restarts %lld unstable %lld backoff %lld, expected %d 0 0",
                    (long long)k.restarts, (long long)k.unstable_restarts, (long long)k.backoff_ms,
                    PRE_RESTARTS + 1);
        break;
    case C_POLICY:
        if (k.restarts != PRE_RESTARTS || k.unstable_restarts != PRE_UNSTABLE + 1)
            problem(&rp, "policy: restarts %lld unstable %lld, expected %d %d",
                    (long long)k.restarts, (long long)k.unstable_restarts, PRE_RESTARTS,
                    PRE_UNSTABLE + 1);
        break;
    case C_CRASH:
        if (k.restarts != PRE_RESTARTS + 1 || k.unstable_restarts != PRE_UNSTABLE ||
            k.backoff_ms != PRE_BACKOFF)
            problem(&rp,
                    "restart after a crash: restarts %lld unstable %lld backoff %lld, "
                    "expected %d %d %d",
                    (long long)k.restarts, (long long)k.unstable_restarts, (long long)k.backoff_ms,
                    PRE_RESTARTS + 1, PRE_UNSTABLE, PRE_BACKOFF);
        break;
    }
    /* a failed exec is told in the app's log and in the reason */
    if (c->next == RUN && v == RUN_EXEC_FAILS &&
        (!strstr(inst->reason, "exec failed") || !strstr(fake.last_note, "exec failed")))
        problem(&rp, "failed exec: reason '%s', note '%s'", inst->reason, fake.last_note);

    fixture_free(&f);
    return rp.problems;
}

/* The table above has a row for every [state][event] cell. */
static void test_table_is_complete(void **state)
{
    (void)state;
    for (int s = 0; s < SUP__STATES; s++)
        for (int e = 0; e < SUP__EVENTS; e++) {
            int found = 0;
            for (size_t i = 0; i < N_CELLS; i++)
                found += cells[i].state == (enum sup_state)s && cells[i].event == (enum sup_event)e;
            if (!found)
                fail_msg("no expectation for [%s][%s]", instance_state_name(s),
                         instance_event_name(e));
        }
}

/* One test per state: every event in that state. */
static void test_state_row(void **state)
{
    enum sup_state s = *(const enum sup_state *)*state;
    int problems = 0, n = 0;
    for (size_t i = 0; i < N_CELLS; i++) {
        if (cells[i].state != s)
            continue;
        int variants = cells[i].next == RUN ? RUN__VARIANTS : 1;
        for (int v = 0; v < variants; v++, n++)
            problems += run_cell(&cells[i], (enum run_variant)v);
    }
    assert_true(n >= SUP__EVENTS);
    if (problems)
        fail_msg("%d problem(s) in the row of %s (see above)", problems, instance_state_name(s));
}

/* --- beyond single cells -------------------------------------------------- */

/* The restart count is carried over from a predecessor (spec.restarts). */
static void test_init_carries_restarts(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    f.spec.restarts = 41;
    instance_init(&f.inst, f.loop, &f.spec, &fake_ops, NULL, -1, -1);
    assert_int_equal(f.inst.state, SUP_STOPPED);
    assert_int_equal(f.inst.counters.restarts, 41);
    assert_int_equal(f.inst.pid, 0);
    assert_int_equal(fake.spawns, 0);
    fixture_free(&f);
}

/* A crash loop: every run is unstable, so after max_restarts runs the
 * instance is errored; restarts counts the restarts that happened. */
static void test_crash_loop_is_errored(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    f.spec.max_restarts = 3;
    struct instance *inst = &f.inst;
    assert_int_equal(instance_start(inst), 0);
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(main_exits(inst, 1, 0), 0);
        assert_int_equal(inst->state, SUP_WAITING);
        assert_int_equal(inst->counters.unstable_restarts, i);
        assert_int_equal(inst->counters.restarts, i - 1); /* counted when it happens */
        assert_int_equal(fire(inst, EV_RESTART_TIMER, KEEP), 0);
        assert_int_equal(inst->state, SUP_LAUNCHING);
        assert_int_equal(inst->counters.restarts, i);
    }
    assert_int_equal(main_exits(inst, 1, 0), 0);
    assert_int_equal(inst->state, SUP_ERRORED);
    assert_int_equal(inst->counters.unstable_restarts, 3);
    assert_int_equal(inst->counters.restarts, 2);
    assert_int_equal(fake.spawns, 3);
    assert_non_null(strstr(inst->reason, "max_restarts"));
    assert_int_equal(instance_status(inst), STATUS_ERRORED);
    /* a start from ERRORED starts over */
    assert_int_equal(instance_start(inst), 0);
    assert_int_equal(inst->state, SUP_LAUNCHING);
    assert_int_equal(inst->counters.unstable_restarts, 0);
    fixture_free(&f);
}

/* A run that lasted min_uptime resets the unstable count. */
static void test_long_run_resets_unstable(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct instance *inst = &f.inst;
    to_online(&f);
    inst->counters.unstable_restarts = 15;
    inst->started_mono = mono_ms() - 60000; /* up for a minute */
    assert_int_equal(main_exits(inst, 0, 0), 0);
    assert_int_equal(inst->state, SUP_WAITING);
    assert_int_equal(inst->counters.unstable_restarts, 0);
    fixture_free(&f);
}

/* The policy picks STOPPED: autorestart off, or a stop exit code. */
static void test_policy_stopped(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    f.spec.autorestart = 0;
    to_online(&f);
    assert_int_equal(main_exits(&f.inst, 1, 0), 0);
    assert_int_equal(f.inst.state, SUP_STOPPED);
    assert_int_equal(f.inst.counters.restarts, 0);
    struct report rp = {"policy: autorestart off", 0};
    check_timers(&rp, &f.inst);
    assert_int_equal(rp.problems, 0);
    fixture_free(&f);

    fixture_init(&f);
    f.spec.stop_exit_codes[0] = 3;
    f.spec.n_stop_exit_codes = 1;
    to_online(&f);
    assert_int_equal(main_exits(&f.inst, 3, 0), 0);
    assert_int_equal(f.inst.state, SUP_STOPPED);
    assert_int_equal(f.inst.exit_code, 3);
    fixture_free(&f);

    /* leftovers are cleaned first; the policy decides once they are gone */
    fixture_init(&f);
    f.spec.autorestart = 0;
    to_online(&f);
    assert_int_equal(main_exits(&f.inst, 1, 2), 0);
    assert_int_equal(f.inst.state, SUP_CLEANING);
    assert_int_equal(fire(&f.inst, EV_TREE_EMPTY, KEEP), 0);
    assert_int_equal(f.inst.state, SUP_STOPPED);
    fixture_free(&f);
}

/* Not ready in time: stopped, then ERRORED with the reason told. */
static void test_not_ready_in_time(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    to_stop_to_errored(&f);
    assert_int_equal(fake.signals, 1);
    assert_non_null(strstr(f.inst.reason, "listen_timeout"));
    assert_int_equal(main_exits(&f.inst, -1, 0), 0);
    assert_int_equal(f.inst.state, SUP_ERRORED);
    assert_non_null(strstr(f.inst.reason, "listen_timeout"));
    fixture_free(&f);
}

/* kill_timeout passed: SIGKILL, and the kill is told in the app's log. */
static void test_kill_timer_notes(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    to_stop_to_stopped(&f);
    assert_true(f.inst.kill_timer != 0);
    fake.tree = 3;
    assert_int_equal(fire(&f.inst, EV_KILL_TIMER, KEEP), 0);
    assert_int_equal(fake.kills, 1);
    assert_non_null(strstr(fake.last_note, "3 process(es)"));
    assert_int_equal(f.inst.state, SUP_STOP_TO_STOPPED);
    assert_int_equal(main_exits(&f.inst, -1, 0), 0);
    assert_int_equal(f.inst.state, SUP_STOPPED);
    fixture_free(&f);
}

/* --- the drain sub-phase of the stopping states ---------------------------- */

/* An online run that serves, with drain ops and drain_timeout set. */
static void drain_fixture(struct fixture *f)
{
    fixture_init(f);
    f->spec.drain_timeout_ms = 5000;
    instance_init(&f->inst, f->loop, &f->spec, &fake_drain_ops, NULL, -1, -1);
    f->inst.on_change = on_change;
    f->inst.on_exit = on_exit_cb;
    to_online(f);
    instance_mark_serving(&f->inst);
    fake_clear_calls();
}

/* stop>S drains first: no signal, no kill timer, until DRAINED; then the
 * stop signal and the kill timer, and the drain is over. */
static void test_drain_comes_before_the_signal(void **state)
{
    (void)state;
    static const enum sup_event stops[] = {EV_STOP, EV_RESTART, EV_DELETE};
    static const enum sup_state to[] = {SUP_STOP_TO_STOPPED, SUP_STOP_TO_RESTART, SUP_STOP_TO_EXIT};
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        struct fixture f;
        drain_fixture(&f);
        assert_int_equal(fire(&f.inst, stops[i], KEEP), 0);
        assert_int_equal(f.inst.state, to[i]);
        assert_int_equal(fake.drain_begins, 1);
        assert_int_equal(fake.signals, 0);
        assert_int_equal(f.inst.kill_timer, 0);
        assert_true(f.inst.drain_timer != 0);
        assert_int_equal(f.inst.stop_phase, STOP_DRAINING);
        assert_int_equal(fire(&f.inst, EV_DRAINED, KEEP), 0);
        assert_int_equal(f.inst.state, to[i]);
        assert_int_equal(fake.signals, 1);
        assert_int_equal(fake.drain_ends, 1);
        assert_true(f.inst.kill_timer != 0);
        assert_int_equal(f.inst.drain_timer, 0);
        assert_int_equal(f.inst.stop_phase, STOP_SIGNALLED);
        /* a second DRAINED (a late tick) changes nothing */
        assert_int_equal(fire(&f.inst, EV_DRAINED, KEEP), 0);
        assert_int_equal(fake.signals, 1);
        fixture_free(&f);
    }
}

/* A run that never served, or drain_timeout 0: the signal goes at once. */
static void test_no_drain_without_serving_or_timeout(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    f.spec.drain_timeout_ms = 5000;
    instance_init(&f.inst, f.loop, &f.spec, &fake_drain_ops, NULL, -1, -1);
    to_online(&f);
    assert_int_equal(fire(&f.inst, EV_STOP, KEEP), 0);
    assert_int_equal(fake.drain_begins, 0);
    assert_int_equal(fake.signals, 1);
    assert_true(f.inst.kill_timer != 0);
    fixture_free(&f);

    drain_fixture(&f);
    f.spec.drain_timeout_ms = 0;
    assert_int_equal(fire(&f.inst, EV_STOP, KEEP), 0);
    assert_int_equal(fake.drain_begins, 0);
    assert_int_equal(fake.signals, 1);
    fixture_free(&f);
}

/* While draining, another command only changes what comes after; the main
 * process exiting on its own ends the drain with the stop. */
static void test_drain_retarget_and_exit(void **state)
{
    (void)state;
    struct fixture f;
    drain_fixture(&f);
    assert_int_equal(fire(&f.inst, EV_STOP, KEEP), 0);
    assert_int_equal(fire(&f.inst, EV_DELETE, KEEP), 0);
    assert_int_equal(f.inst.state, SUP_STOP_TO_EXIT);
    assert_int_equal(f.inst.stop_phase, STOP_DRAINING);
    assert_int_equal(fake.signals, 0);
    assert_int_equal(fire(&f.inst, EV_MAIN_EXIT, 0), 0);
    assert_int_equal(f.inst.state, SUP_EXITED);
    assert_int_equal(fake.drain_ends, 1);
    assert_int_equal(fake.signals, 0);
    assert_int_equal(f.inst.drain_timer, 0);
    assert_int_equal(fake.exits, 1);
    fixture_free(&f);

    /* leftovers keep the drain going until it is over */
    drain_fixture(&f);
    assert_int_equal(fire(&f.inst, EV_RESTART, KEEP), 0);
    assert_int_equal(fire(&f.inst, EV_MAIN_EXIT, 1), 0);
    assert_int_equal(f.inst.state, SUP_STOP_TO_RESTART);
    assert_int_equal(f.inst.stop_phase, STOP_DRAINING);
    assert_int_equal(fire(&f.inst, EV_DRAINED, KEEP), 0);
    assert_int_equal(fake.signals, 1);
    assert_int_equal(fire(&f.inst, EV_TREE_EMPTY, KEEP), 0);
    assert_int_equal(f.inst.state, SUP_LAUNCHING); /* the new run, until it serves */
    assert_int_equal(f.inst.stop_phase, STOP_NONE);
    fixture_free(&f);
}

/* The status daemons see, per status.h's words. */
static void test_status_of_states(void **state)
{
    (void)state;
    static const enum inst_status want[SUP__STATES] = {
        [SUP_STOPPED] = STATUS_STOPPED,
        [SUP_LAUNCHING] = STATUS_LAUNCHING,
        [SUP_ONLINE] = STATUS_ONLINE,
        [SUP_CLEANING] = STATUS_STOPPING,
        [SUP_STOP_TO_STOPPED] = STATUS_STOPPING,
        [SUP_STOP_TO_RESTART] = STATUS_STOPPING,
        [SUP_STOP_TO_EXIT] = STATUS_STOPPING,
        [SUP_STOP_TO_ERRORED] = STATUS_STOPPING,
        [SUP_WAITING] = STATUS_WAITING,
        [SUP_ERRORED] = STATUS_ERRORED,
        [SUP_EXITED] = STATUS_EXITING,
    };
    for (int s = 0; s < SUP__STATES; s++) {
        struct fixture f;
        fixture_init(&f);
        reach[s](&f);
        if (instance_status(&f.inst) != want[s])
            fail_msg("%s shows %s, expected %s", instance_state_name(s),
                     status_name(instance_status(&f.inst)), status_name(want[s]));
        fixture_free(&f);
    }
}

/* Names exist and differ; out of range is "?". */
static void test_names(void **state)
{
    (void)state;
    for (int s = 0; s < SUP__STATES; s++) {
        assert_string_not_equal(instance_state_name(s), "?");
        for (int t = 0; t < s; t++)
            assert_string_not_equal(instance_state_name(s), instance_state_name(t));
    }
    for (int e = 0; e < SUP__EVENTS; e++) {
        assert_string_not_equal(instance_event_name(e), "?");
        for (int t = 0; t < e; t++)
            assert_string_not_equal(instance_event_name(e), instance_event_name(t));
    }
    assert_string_equal(instance_state_name(SUP__STATES), "?");
    assert_string_equal(instance_event_name(SUP__EVENTS), "?");
}

static const enum sup_state all_states[SUP__STATES] = {
    SUP_STOPPED,         SUP_LAUNCHING,       SUP_ONLINE,       SUP_CLEANING,
    SUP_STOP_TO_STOPPED, SUP_STOP_TO_RESTART, SUP_STOP_TO_EXIT, SUP_STOP_TO_ERRORED,
    SUP_WAITING,         SUP_ERRORED,         SUP_EXITED,
};

static const char *const row_names[SUP__STATES] = {
    "row STOPPED",         "row LAUNCHING",       "row ONLINE",       "row CLEANING",
    "row STOP_TO_STOPPED", "row STOP_TO_RESTART", "row STOP_TO_EXIT", "row STOP_TO_ERRORED",
    "row WAITING",         "row ERRORED",         "row EXITED",
};

int main(void)
{
    struct CMUnitTest tests[SUP__STATES + 16];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_table_is_complete);
    for (int s = 0; s < SUP__STATES; s++)
        tests[n++] =
            (struct CMUnitTest){row_names[s], test_state_row, NULL, NULL, (void *)&all_states[s]};
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_init_carries_restarts);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_crash_loop_is_errored);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_long_run_resets_unstable);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_policy_stopped);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_not_ready_in_time);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_kill_timer_notes);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_status_of_states);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_names);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_drain_comes_before_the_signal);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_no_drain_without_serving_or_timeout);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_drain_retarget_and_exit);
    return _cmocka_run_group_tests("instance", tests, n, NULL, NULL);
}
