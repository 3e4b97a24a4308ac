/* fdutil.h - file descriptor helpers. Every fd drover opens is O_CLOEXEC;
 * these helpers keep it that way. All return 0 (or a count) on success and a
 * negative errno on failure. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Sets or clears O_NONBLOCK on fd. */
int fd_set_nonblock(int fd, int on);

/* Sets or clears FD_CLOEXEC on fd. */
int fd_set_cloexec(int fd, int on);

/* Writes all len bytes to a blocking fd, retrying on EINTR and short writes. */
int write_full(int fd, const void *buf, size_t len);

/* Reads a whole small file (at most max bytes) into a NUL-terminated malloc'd
 * buffer stored in *out; *out_len gets its length if out_len is not NULL.
 * Returns -EFBIG when the file is larger than max. */
int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *out_len);

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename over path, fsync of the directory. The old file stays intact
 * if anything fails (ENOSPC included). mode is the new file's mode. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Closes every fd >= from except those listed in keep (sorted or not).
 * Used between fork and exec. Async-signal-safe. */
void close_fds_from(int from, const int *keep, size_t n_keep);

/* Creates a pipe with both ends O_CLOEXEC (and O_NONBLOCK on the ends named
 * by nonblock_read / nonblock_write). */
int pipe_cloexec(int fds[2], int nonblock_read, int nonblock_write);

/* Creates directory path and its missing parents with the given mode.
 * Existing directories are left alone. */
int mkdir_p(const char *path, mode_t mode);
