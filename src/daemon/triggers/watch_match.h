/* watch_match.h - which changed paths a watch ignores (ignore_watch). Pure
 * and libc-only, unit-tested in tests/unit/test_watch_match.c.
 *
 * Paths are relative to the watched root ("src/a.js"). A pattern without
 * '/' ("node_modules", "*.log") matches any single component, so it
 * ignores that name at every depth and everything below it. A pattern with
 * '/' ("logs/tmp", "build/x*.map") is an fnmatch glob (FNM_PATHNAME) of the
 * path from the root, and ignores what is below a match too; a leading
 * "**" + "/" lets it start at any depth, a leading "./", a trailing '/' and
 * a trailing "/" + "**" are dropped. An absolute pattern applies when it
 * is under the root. */
#pragma once

#include <stddef.h>

/* Ignored by every watch, whatever ignore_watch says (NULL-terminated):
 * node_modules, .git, __pycache__, and editors' swap and lock files. A watch path given
 * explicitly below such a directory is still watched (paths are relative
 * to the watched root). */
extern const char *const watch_default_ignores[];

/* True when rel is ignored by one of patterns[0..n). root: the watched
 * root's absolute path, for absolute patterns. The root itself ("") is
 * never ignored. */
int watch_ignored(const char *root, const char *rel, const char *const *patterns, size_t n);
