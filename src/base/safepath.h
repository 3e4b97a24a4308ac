/* safepath.h - opening files by path without following a symlink that a
 * less privileged user could have planted.
 *
 * A root supervisor writes the logs of an app that runs as another user,
 * often in that user's directory: a plain open(2) of "<cwd>/out.log" would
 * follow a symlink the app put there to /etc/shadow. The walk here opens
 * every component with O_NOFOLLOW from the directory before it, holding each
 * directory by fd, so nothing can be swapped under it. A symlink is followed
 * only when the directory that holds it is *trusted*: owned by root or by
 * our effective uid, and writable by nobody else (no group or other write
 * bit). Anywhere else (an app's cwd, /tmp) a symlink stops the walk with
 * -ELOOP. At the last component a symlink is followed only in a trusted
 * directory and only to something that is not a regular file (/dev/stdout ->
 * /proc/self/fd/1 -> a pipe, a terminal, /dev/null), along a target path
 * walked by the same rules; a symlink to a regular file is refused even
 * there (-ELOOP), so a log path never lands on a file it does not name. A
 * regular file with other hard links is refused in an untrusted directory
 * (-EMLINK).
 *
 * Musl-safe (the supervisor is static): openat, readlinkat, mkdirat only. */
#pragma once

#include <sys/types.h>

/* Symlinks followed in one walk, as the kernel's limit. */
#define SAFEPATH_MAX_LINKS 40

/* Opens the directory that holds the last component of path (absolute, or
 * relative to the current directory) and stores it in *dirfd (O_PATH |
 * O_DIRECTORY | O_CLOEXEC, caller closes), whether it is trusted in
 * *trusted, and the last component in *name (malloc'd, caller frees). With
 * mkdir_mode != 0 missing directories are created with that mode. Returns 0
 * or a negative errno (-ELOOP: a symlink in an untrusted directory). */
int safepath_open_parent(const char *path, mode_t mkdir_mode, int *dirfd, int *trusted,
                         char **name);

/* Opens name in dirfd (from safepath_open_parent) with flags, never
 * following a symlink planted in an untrusted directory (O_NOFOLLOW is
 * added; see the header comment for trusted ones). mode is for O_CREAT.
 * Returns the fd or a negative errno. */
int safepath_openat(int dirfd, int trusted, const char *name, int flags, mode_t mode);

/* True when a directory with this owner and mode is trusted (see above). */
int safepath_dir_trusted(uid_t owner, mode_t mode);
