/* node_eval.c - evaluating a JavaScript ecosystem file with node. */
#include "cli/node_eval.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "cli/start_args.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODE_EVAL_TIMEOUT_MS 20000
#define NODE_RESULT_MAX (16u << 20)
#define NODE_STDERR_MAX (16u << 10)

extern char **environ;

/* Runs in node. process.argv[1] is the file (after "--"). import() loads
 * CommonJS and ES modules alike: module.exports arrives as the default
 * export, `export default` too; a module with only named exports (export
 * const apps = ...) is used as is. A promise is awaited. */
static const char node_script[] =
    "'use strict';\n"
    "const fs = require('fs');\n"
    "const file = process.argv[1];\n"
    "async function load() {\n"
    "  if (file.endsWith('.json')) {\n"
    "    const text = fs.readFileSync(file, 'utf8');\n"
    "    return require('vm').runInNewContext('(' + text + '\\n)', {},\n"
    "      { filename: file, timeout: 5000 });\n"
    "  }\n"
    "  const mod = await import(require('url').pathToFileURL(file).href);\n"
    "  return mod.default !== undefined ? mod.default : mod;\n"
    "}\n"
    "load().then(async (conf) => {\n"
    "  conf = await conf;\n"
    "  const out = Buffer.from(JSON.stringify(conf === undefined ? null : conf));\n"
    "  for (let off = 0; off < out.length;) off += fs.writeSync(3, out, off);\n"
    "  process.exit(0);\n"
    "}).catch((e) => {\n"
    "  process.stderr.write(String((e && e.stack) || e) + '\\n');\n"
    "  process.exit(1);\n"
    "});\n";

/* Reads what is available on fd into sb (up to max; the rest is drained
 * and *over set). Returns 1 at EOF, 0 otherwise, or a negative errno. */
static int drain(int fd, struct strbuf *sb, size_t max, int *over)
{
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0)
        return (errno == EINTR || errno == EAGAIN) ? 0 : neg_errno();
    if (n == 0)
        return 1;
    size_t room = sb->len < max ? max - sb->len : 0;
    if ((size_t)n > room)
        *over = 1;
    if (room && strbuf_append(sb, buf, MIN(room, (size_t)n)) < 0)
        *over = 1;
    return 0;
}

/* Waits for both pipes to reach EOF (or the deadline). Returns 0 or
 * -ETIMEDOUT. */
static int collect(int out_fd, int err_fd, struct strbuf *out, struct strbuf *err, int *over)
{
    int64_t deadline = mono_ms() + NODE_EVAL_TIMEOUT_MS;
    int err_over = 0;
    struct pollfd p[2] = {{.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN}};
    while (p[0].fd >= 0 || p[1].fd >= 0) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        int r = poll(p, 2, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return neg_errno();
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            int d = i == 0 ? drain(p[i].fd, out, NODE_RESULT_MAX, over)
                           : drain(p[i].fd, err, NODE_STDERR_MAX, &err_over);
            if (d != 0)
                p[i].fd = -1;
        }
    }
    return 0;
}

/* node's error output, shortened to what a user needs: the first non-empty
 * lines. */
static void first_lines(const char *text, char *out, size_t len, int max_lines)
{
    size_t k = 0;
    int lines = 0;
    for (; *text && k + 1 < len && lines < max_lines; text++) {
        if (*text == '\n') {
            if (k > 0 && out[k - 1] != '\n') {
                out[k++] = '\n';
                lines++;
            }
            continue;
        }
        out[k++] = *text;
    }
    while (k > 0 && (out[k - 1] == '\n' || out[k - 1] == ' '))
        k--;
    out[k] = '\0';
}

json_t *node_eval_file(const char *path, char *err, size_t errlen)
{
    char node[PATH_MAX];
    if (start_search_path("node", node, sizeof(node)) < 0 &&
        start_search_path("nodejs", node, sizeof(node)) < 0) {
        snprintf(err, errlen,
                 "evaluating a JavaScript ecosystem file needs node in PATH "
                 "(or convert it to JSON or YAML)");
        return NULL;
    }
    int out_pipe[2], err_pipe[2];
    if (pipe_cloexec(out_pipe, 1, 0) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return NULL;
    }
    if (pipe_cloexec(err_pipe, 1, 0) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(out_pipe[0]);
        close(out_pipe[1]);
        return NULL;
    }
    char *argv[] = {"node", "-e", (char *)node_script, "--", (char *)path, NULL};
    struct spawn_fd fds[] = {{-1, 0}, {STDERR_FILENO, 1}, {err_pipe[1], 2}, {out_pipe[1], 3}};
    struct spawn_opts o = {
        .file = node,
        .argv = argv,
        .envp = environ,
        .fds = fds,
        .n_fds = ARRAY_SIZE(fds),
    };
    pid_t pid;
    const char *step = NULL;
    int r = spawn_process(&o, &pid, &step);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (r < 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        snprintf(err, errlen, "cannot run %s (%s): %s", node, step ? step : "spawn", strerror(-r));
        return NULL;
    }
    struct strbuf out = STRBUF_INIT, errtext = STRBUF_INIT;
    int over = 0;
    r = collect(out_pipe[0], err_pipe[0], &out, &errtext, &over);
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (r < 0)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    json_t *result = NULL;
    char detail[1024];
    first_lines(errtext.buf ? errtext.buf : "", detail, sizeof(detail), 8);
    if (r == -ETIMEDOUT) {
        snprintf(err, errlen, "node did not finish evaluating the file within %d s",
                 NODE_EVAL_TIMEOUT_MS / 1000);
    } else if (r < 0) {
        snprintf(err, errlen, "reading node's output: %s", strerror(-r));
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "node failed to evaluate it%s%s", detail[0] ? ":\n" : "", detail);
    } else if (over) {
        snprintf(err, errlen, "the evaluated configuration is larger than %u MiB",
                 NODE_RESULT_MAX >> 20);
    } else {
        json_error_t jerr;
        result = json_loadb(out.buf ? out.buf : "", out.len, 0, &jerr);
        if (!result)
            snprintf(err, errlen, "node produced no usable configuration: %s", jerr.text);
        else if (errtext.len > 0)
            fwrite(errtext.buf, 1, errtext.len, stderr); /* warnings the file printed */
    }
    strbuf_free(&out);
    strbuf_free(&errtext);
    return result;
}
