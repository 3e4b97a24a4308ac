/* cli_output.c - what every drover program prints the same way (errors,
 * usage, notes, JSON) and where it runs from (cli.h). Shared by drover and
 * drover-monit. */
#include "cli/cli.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("drover: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_usage(const char *fmt, ...)
{
    va_list ap;
    fputs("drover: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

void cli_say(const struct cli *c, const char *fmt, ...)
{
    if (c->silent || c->json)
        return;
    va_list ap;
    fputs("[drover] ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

int cli_print_json(json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text)
        return cli_error("out of memory");
    puts(text);
    free(text);
    return 0;
}

void cli_find_exe_dir(struct cli *c)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        snprintf(c->exe_dir, sizeof(c->exe_dir), ".");
        return;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(c->exe_dir, sizeof(c->exe_dir), "%s", self);
}
