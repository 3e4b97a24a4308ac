/* cmd_init.c - `drover ecosystem|init [simple]`: writes a sample
 * ecosystem.config.js into the current directory ($PWD, as PM2 does, when
 * it names the current directory), never over an existing file, and prints
 * its path. */
#include "base/fdutil.h"
#include "base/macros.h"
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SAMPLE_NAME "ecosystem.config.js"

static const char sample_full[] =
    "// drover (and PM2) ecosystem file: `drover start ecosystem.config.js`.\n"
    "// Every option, its flag and its default: `drover help options`.\n"
    "module.exports = {\n"
    "  apps: [\n"
    "    {\n"
    "      name: 'web',\n"
    "      script: './index.js',\n"
    "      // N instances of any program behind one port, reloaded with zero\n"
    "      // downtime (`drover reload web`)\n"
    "      instances: 2,\n"
    "      exec_mode: 'cluster',\n"
    "      env: { NODE_ENV: 'development', PORT: 3000 },\n"
    "      // merged into env by `drover start ecosystem.config.js --env production`\n"
    "      env_production: { NODE_ENV: 'production' },\n"
    "      max_memory_restart: '300M',\n"
    "      // built-in log rotation\n"
    "      max_size: '10M',\n"
    "      retain: 5,\n"
    "    },\n"
    "    {\n"
    "      name: 'worker',\n"
    "      script: './worker.py',\n"
    "      restart_delay: 1000,\n"
    "      kill_timeout: '5s',\n"
    "    },\n"
    "  ],\n"
    "};\n";

static const char sample_simple[] = "module.exports = {\n"
                                    "  apps: [{\n"
                                    "    name: 'app1',\n"
                                    "    script: './app.js',\n"
                                    "  }],\n"
                                    "};\n";

/* The current directory as the user's shell names it: $PWD when it is an
 * absolute path to this directory (a symlinked path stays as typed), else
 * getcwd. Returns 0 or a negative errno. */
static int current_dir(char *out, size_t len)
{
    const char *pwd = getenv("PWD");
    struct stat a, b;
    if (pwd && pwd[0] == '/' && strlen(pwd) < len && stat(pwd, &a) == 0 && stat(".", &b) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
        snprintf(out, len, "%s", pwd);
        return 0;
    }
    return getcwd(out, len) ? 0 : neg_errno();
}

int cmd_init(struct cli *c)
{
    if (c->argc > 1 || (c->argc == 1 && strcmp(c->argv[0], "simple") != 0))
        return cli_usage("usage: drover %s [simple]", c->verb);
    int simple = c->argc == 1;
    char dir[PATH_MAX], path[PATH_MAX + sizeof(SAMPLE_NAME) + 1];
    int r = current_dir(dir, sizeof(dir));
    if (r < 0)
        return cli_error("cannot tell the current directory: %s", strerror(-r));
    snprintf(path, sizeof(path), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", SAMPLE_NAME);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno == EEXIST)
        return cli_error("%s already exists: not overwritten", path);
    if (fd < 0)
        return cli_error("cannot create %s: %s", path, strerror(errno));
    const char *text = simple ? sample_simple : sample_full;
    r = write_full(fd, text, strlen(text));
    if (r < 0) {
        unlink(path);
        return cli_error("cannot write %s: %s", path, strerror(-r));
    }
    if (c->json) {
        json_t *out = json_pack("{s:s}", "path", path);
        char *dumped = out ? json_dumps(out, JSON_COMPACT) : NULL;
        if (dumped)
            puts(dumped);
        free(dumped);
        json_decref(out);
    } else
        cli_say(c, "wrote %s; start it with: drover start %s", path, SAMPLE_NAME);
    return 0;
}
