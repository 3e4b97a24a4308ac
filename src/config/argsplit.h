/* argsplit.h - splitting a command string into arguments the way a POSIX
 * shell would quote them, without running a shell: whitespace separates,
 * '...' is literal, "..." allows \" \\ \$ \` escapes, a backslash outside
 * quotes escapes the next character. No expansion of any kind. */
#pragma once

#include <stddef.h>

/* Splits s into a NULL-terminated malloc'd array of malloc'd strings stored
 * in *out (free with argsplit_free) and the count in *n. Returns 0, -EINVAL
 * for an unterminated quote, or -ENOMEM. */
int argsplit(const char *s, char ***out, size_t *n);

/* Frees an array returned by argsplit. */
void argsplit_free(char **argv);
