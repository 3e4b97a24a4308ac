/* pid_file.h - PM2's pid file of an instance (pm_pid_path): the pid of the
 * run, written when a run starts, removed when it ends. Files are opened
 * by safepath.h's rules (no link planted by another user is followed). */
#pragma once

#include <sys/types.h>

struct pid_file {
    const char *path; /* from the spec; NULL: none */
    pid_t written;    /* the pid the file holds, 0 when none */
};

/* Makes the file say pid: written (atomically, through a temporary file)
 * when pid > 0 and different from what it says; removed when pid is 0 and
 * it still holds the pid this supervisor wrote (a successor's is left
 * alone). Returns 0 or a negative errno (the caller logs it). */
int pid_file_sync(struct pid_file *pf, pid_t pid);
