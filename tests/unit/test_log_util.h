/* Helpers shared by the logger tests (test_logger.c, test_log_rotate.c):
 * a temporary directory, reading log files back (rotated ones in age order,
 * .gz through gzip -dc), checking numbered lines, writer processes and
 * running the real loop until the logger has written what was sent. */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/strbuf.h"
#include "logs/logger.h"
#include "loop/loop.h"

/* the per-run temporary directory (removed at the end unless KEEP_TMP=1) */
extern char log_test_dir[PATH_MAX];

/* cmocka group setup / teardown creating and removing log_test_dir */
int log_test_setup_dir(void **state);
int log_test_teardown_dir(void **state);

/* <log_test_dir>/<test>/<name> (one of 4 rotating static buffers) */
const char *tpath(const char *test, const char *name);

/* Reads a whole file (asserts). */
char *slurp(const char *path, size_t *len);
uint64_t file_size(const char *path);

/* Appends the output of gzip -dc path to sb (asserts success). */
void gunzip_into(const char *path, struct strbuf *sb);

/* The rotated files of log path, oldest first (filled by list_rotated and
 * collect_log). */
#define LOG_TEST_MAX_ROTATED 4096
extern char rotated_names[LOG_TEST_MAX_ROTATED][NAME_MAX + 1];
size_t list_rotated(const char *path);

/* Rotated files (oldest first, .gz decompressed) then the current file. */
char *collect_log(const char *path, size_t *len, size_t *n_rotated);

/* Checks that the lines starting with prefix carry the numbers first ..
 * first+count-1, each once, in order (7 digits after the prefix). */
void check_sequence(const char *data, size_t len, const char *prefix, size_t first, size_t count);

/* Forks a process writing "<prefix><7 digits><pad dots>\n" lines to wfd as
 * fast as it can; wait_writer reaps it and asserts it exited 0. */
pid_t start_writer(int wfd, const char *prefix, size_t first, size_t count, size_t pad);
void wait_writer(pid_t pid);

uint64_t stat_lines(struct logger *lg);

/* Runs the loop until the logger has written `lines` lines (90 s limit). */
void run_until_lines(struct ev_loop *loop, struct logger *lg, uint64_t lines);

/* Runs the loop for ms milliseconds. */
void run_for(struct ev_loop *loop, int ms);

/* Writes "<prefix><7 digits>\n" lines into a non-blocking pipe from this
 * process, running the loop whenever the pipe is full. */
void self_feed(struct ev_loop *loop, int wfd, const char *prefix, size_t first, size_t count);

/* A raw config for app "app" with these two paths. */
struct log_config base_config(const char *out, const char *err);

/* Path of the drover-gzip built next to the tests ($DROVER_GZIP wins). */
const char *gzip_helper(void);
