/* log_name.h - names of rotated log files. Pure string functions, plus
 * the listing of a log's rotated files.
 *
 * A log at <dir>/<stem><ext> (the extension is the part of the base name
 * from its last '.', unless that dot starts the name) is rotated to
 *
 *     <dir>/<stem>__YYYY-MM-DD_HH-MM-SS<ext>          first in that second
 *     <dir>/<stem>__YYYY-MM-DD_HH-MM-SS_NNNN<ext>     NNNN = 0001..9999 after
 *
 * with the time of the rotation in UTC (so names never go backwards across
 * DST changes), and <name>.gz once compressed. Example: app-out.log ->
 * app-out__2026-11-21_10-00-00.log, app-out__2026-11-21_10-00-00_0001.log.
 * Sorting the names as byte strings (after removing ".gz") sorts them by
 * age, oldest first. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define LOG_NAME_MAX_COUNTER 9999
#define LOG_NAME_STAMP_LEN 19 /* YYYY-MM-DD_HH-MM-SS */

/* Writes the UTC stamp of wall_ms ("2026-11-21_10-00-00") into out (size
 * LOG_NAME_STAMP_LEN + 1). Returns 0 or -EINVAL. */
int log_name_stamp(int64_t wall_ms, char *out);

/* Builds the rotated path of path for a rotation at wall_ms with the given
 * counter (0: none) into out (size out_size). Returns 0, -EINVAL for a
 * counter above LOG_NAME_MAX_COUNTER, or -ENAMETOOLONG. */
int log_name_rotated(const char *path, int64_t wall_ms, unsigned counter, char *out,
                     size_t out_size);

/* Returns 1 if name (a base name, no directory) is a rotated file of the log
 * whose base name is log_base, compressed or not, else 0. */
int log_name_is_rotated(const char *log_base, const char *name);

/* Like log_name_is_rotated, and on success also stores the name's stamp in
 * stamp (size LOG_NAME_STAMP_LEN + 1) and its counter (0 when it has
 * none) in *counter; either may be NULL. A new rotation in the same second
 * must use a counter above every existing one, so names keep sorting by
 * age even after retention deleted the oldest. */
int log_name_parse(const char *log_base, const char *name, char *stamp, unsigned *counter);

/* Returns the length of name without a final ".gz" (the key rotated files
 * are sorted and counted by). */
size_t log_name_key_len(const char *name);

/* Compares two rotated names by age (oldest first), ignoring ".gz". For
 * qsort over an array of char *. */
int log_name_compare(const void *a, const void *b);

/* Splits path into its directory (".", "/" or the part before the last
 * '/', into dir of size dir_size) and its base name (*base, inside path).
 * Returns 0 or -ENAMETOOLONG. */
int log_name_split_dir(const char *path, char *dir, size_t dir_size, const char **base);

/* A listing stops after this many rotated files (in directory order). */
#define LOG_NAME_LIST_MAX 100000

/* Lists the rotated files of the log at path (compressed or not) as base
 * names sorted oldest first (log_name_compare) into *names, count in *n.
 * A missing directory is an empty list. Free with log_name_free_list.
 * Returns 0 or a negative errno. */
int log_name_list_rotated(const char *path, char ***names, size_t *n);

/* The same for the log named base in the directory dirfd (O_PATH is
 * enough). */
int log_name_list_rotated_at(int dirfd, const char *base, char ***names, size_t *n);

/* Frees a list from log_name_list_rotated. */
void log_name_free_list(char **names, size_t n);
