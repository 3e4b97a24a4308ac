/* pidfd.h - signalling processes through pidfds, so a recycled pid can never
 * receive a signal meant for a process that already exited. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Opens a pidfd (O_CLOEXEC) for pid. Returns the fd or -ESRCH if gone. */
int pidfd_open_cloexec(pid_t pid);

/* Opens a pidfd for pid only if the process's start time (see procfs.h)
 * equals start_time. Returns the fd, -ESRCH if gone, -ESTALE if the pid now
 * belongs to another process. */
int pidfd_open_verified(pid_t pid, uint64_t start_time);

/* Sends sig through a pidfd. Returns 0 or a negative errno (-ESRCH when the
 * process has exited). */
int pidfd_signal(int pidfd, int sig);
