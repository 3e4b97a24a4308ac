/* pidfd.c - signalling processes through pidfds. */
#include "base/pidfd.h"
#include "base/macros.h"
#include "base/procfs.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int pidfd_open_cloexec(pid_t pid)
{
    /* pidfds are always close-on-exec; the flags argument is for PIDFD_NONBLOCK */
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return neg_errno();
    return (int)fd;
}

int pidfd_open_verified(pid_t pid, uint64_t start_time)
{
    int fd = pidfd_open_cloexec(pid);
    if (fd < 0)
        return fd;
    /* the pidfd pins the process: if /proc shows the expected start time
     * now, the fd refers to the right process for good */
    struct proc_stat st;
    int r = proc_read_stat(pid, &st);
    if (r < 0 || st.start_time != start_time || st.state == 'Z') {
        close(fd);
        return r < 0 ? -ESRCH : (st.state == 'Z' ? -ESRCH : -ESTALE);
    }
    return fd;
}

int pidfd_signal(int pidfd, int sig)
{
    if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
        return neg_errno();
    return 0;
}
