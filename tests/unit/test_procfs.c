/* Unit tests for base/procfs.c: /proc/<pid>/stat parsing (odd command
 * names), the ppid-sorted table and tree walks, on this very process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/procfs.h"

static void test_read_self(void **state)
{
    (void)state;
    /* a command name with spaces and parentheses must not confuse parsing */
    prctl(PR_SET_NAME, "a (b) c", 0, 0, 0);
    struct proc_stat st;
    assert_int_equal(proc_read_stat(getpid(), &st), 0);
    assert_int_equal(st.pid, getpid());
    assert_int_equal(st.ppid, getppid());
    assert_true(st.state == 'R' || st.state == 'S');
    assert_true(st.rss_bytes > 0);
    assert_true(st.start_time > 0);
    assert_int_equal(proc_read_stat(0x7ffffff0, &st), -ENOENT);
}

static void test_tree_walk(void **state)
{
    (void)state;
    /* this process -> child -> grandchild */
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        if (fork() == 0) {
            (void)!write(ready[1], "x", 1);
            pause();
            _exit(0);
        }
        pause();
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    struct proc_table t;
    assert_int_equal(proc_table_load(&t), 0);
    assert_true(t.n > 2);
    for (size_t i = 1; i < t.n; i++)
        assert_true(t.procs[i - 1].ppid <= t.procs[i].ppid);
    pid_t kids[8];
    assert_int_equal(proc_table_descendants(&t, getpid(), kids, 8), 2);
    assert_int_equal(kids[0], child);
    uint64_t rss, ticks;
    proc_table_tree_usage(&t, getpid(), &rss, &ticks);
    assert_true(rss > 0);
    proc_table_free(&t);
    kill(kids[1], SIGKILL);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

static int thread_ready_fd;

/* forks from a second thread: the grandchild is that thread's child */
static void *fork_from_thread(void *arg)
{
    (void)arg;
    if (fork() == 0) {
        (void)!write(thread_ready_fd, "x", 1);
        pause();
        _exit(0);
    }
    pause();
    return NULL;
}

static void test_load_trees(void **state)
{
    (void)state;
    /* this process -> child (2 threads) -> grandchild forked by the second
     * thread: found through the child's task directory */
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        thread_ready_fd = ready[1];
        pthread_t th;
        if (pthread_create(&th, NULL, fork_from_thread, NULL) != 0)
            _exit(1);
        pause();
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    pid_t self = getpid();
    struct proc_table t;
    assert_int_equal(proc_table_load_trees(&t, &self, 1), 0);
    assert_int_equal(t.n, 2); /* the trees only, not the machine */
    pid_t kids[8];
    assert_int_equal(proc_table_descendants(&t, self, kids, 8), 2);
    assert_int_equal(kids[0], child);
    uint64_t rss, ticks;
    proc_table_tree_usage(&t, self, &rss, &ticks);
    assert_true(rss > 0);
    proc_table_free(&t);
    kill(kids[1], SIGKILL);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(ready[0]);
    close(ready[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_self),
        cmocka_unit_test(test_tree_walk),
        cmocka_unit_test(test_load_trees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
