/* capture.h - running a program to read what it prints (no shell): the
 * dynamic loader's complaint in `drover doctor`, the runtime's --help in
 * its man page. */
#pragma once

#include <stddef.h>

/* Runs file (a path, or a name searched in envp's PATH) with argv and envp,
 * stdin on /dev/null, stdout and stderr into one pipe; stores at most
 * len - 1 bytes of that output in out (NUL-terminated; the rest is read
 * and dropped) and waits for it. Returns its exit status (0-255, 128 +
 * signal when killed) or a negative errno when it could not run. */
int capture_run(const char *file, char *const argv[], char *const envp[], char *out, size_t len);
