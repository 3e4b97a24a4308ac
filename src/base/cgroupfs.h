/* cgroupfs.h - finding cgroup v2: where it is mounted and which cgroup this
 * process is in. */
#pragma once

#include <stddef.h>

/* Stores the cgroup2 mount point (e.g. "/sys/fs/cgroup") in out. Returns 0
 * or -ENOENT when no cgroup2 filesystem is mounted. */
int cgroupfs_mount(char *out, size_t len);

/* Stores this process's cgroup v2 path relative to the mount ("/" or
 * "/system.slice/x.service") in out. Returns 0 or -ENOENT. */
int cgroupfs_self_path(char *out, size_t len);
