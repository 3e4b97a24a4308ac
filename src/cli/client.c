/* client.c - the CLI's connection to the daemon, with autostart. */
#include "cli/client.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/timeutil.h"
#include "base/unixsock.h"
#include "proto/frame.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define DAEMON_START_TIMEOUT_MS 15000
#define REPLY_TIMEOUT_MS (15 * 60 * 1000)

extern char **environ;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts droverd detached and waits for its "ready" on a pipe. A daemon
 * that lost the lock race exits without writing: the caller then simply
 * connects to the winner. */
static int start_daemon(struct cli *c)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/droverd", c->exe_dir);
    int p[2];
    if (pipe_cloexec(p, 0, 0) < 0)
        return neg_errno();
    size_t n_env = 0;
    while (environ[n_env])
        n_env++;
    char **envp = calloc(n_env + 2, sizeof(char *));
    if (!envp) {
        close(p[0]);
        close(p[1]);
        return -ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
        if (strncmp(environ[i], "DROVER_READY_FD=", 16) != 0)
            envp[k++] = environ[i];
    envp[k++] = "DROVER_READY_FD=3";
    envp[k] = NULL;
    char *argv[] = {"droverd", NULL};
    struct spawn_fd fds[] = {{-1, 0}, {-1, 1}, {-1, 2}, {p[1], 3}};
    struct spawn_opts o = {
        .file = path,
        .argv = argv,
        .envp = envp,
        .cwd = "/",
        .fds = fds,
        .n_fds = 4,
        .new_session = 1,
    };
    pid_t pid;
    const char *step;
    int r = spawn_process(&o, &pid, &step);
    free(envp);
    close(p[1]);
    if (r < 0) {
        close(p[0]);
        fprintf(stderr, "drover: error: cannot start %s (%s): %s\n", path, step, strerror(-r));
        return r;
    }
    /* "ready\n" when it serves; EOF when it exits first (it lost the race
     * for the lock to another daemon, which the caller then reaches) */
    char buf[16];
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    int64_t deadline = mono_ms() + DAEMON_START_TIMEOUT_MS;
    while (mono_ms() < deadline) {
        int pr = poll(&pfd, 1, (int)(deadline - mono_ms()));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr > 0)
            (void)!read(p[0], buf, sizeof(buf));
        break;
    }
    close(p[0]);
    return 0;
}

static int connect_daemon(struct cli *c, int autostart)
{
    int fd = unix_connect(c->paths.daemon_sock, 0);
    if (fd >= 0 || !autostart)
        return fd >= 0 ? fd : -ENOTCONN;
    if (fd != -ENOENT && fd != -ECONNREFUSED)
        return fd;
    int r = paths_ensure(&c->paths);
    if (r < 0)
        return r;
    r = start_daemon(c);
    if (r < 0)
        return r;
    /* the winner of a start race may still be adopting supervisors */
    int64_t deadline = mono_ms() + DAEMON_START_TIMEOUT_MS;
    for (;;) {
        fd = unix_connect(c->paths.daemon_sock, 0);
        if (fd >= 0)
            return fd;
        if (mono_ms() > deadline)
            return fd;
        sleep_ms(20);
    }
}

int client_request(struct cli *c, json_t *req, int autostart, json_t **reply)
{
    int fd = connect_daemon(c, autostart);
    if (fd == -ENOTCONN)
        return fd;
    if (fd < 0) {
        fprintf(stderr, "drover: error: cannot reach the daemon at %s: %s\n", c->paths.daemon_sock,
                strerror(-fd));
        return fd;
    }
    char *text = json_dumps(req, JSON_COMPACT);
    if (!text) {
        close(fd);
        return -ENOMEM;
    }
    int r = frame_send(fd, text, strlen(text), NULL, 0);
    free(text);
    char *payload = NULL;
    size_t len = 0;
    if (r == 0)
        r = frame_recv(fd, FRAME_MAX_RESPONSE, REPLY_TIMEOUT_MS, &payload, &len, NULL, NULL);
    close(fd);
    if (r < 0) {
        fprintf(stderr, "drover: error: no answer from the daemon: %s\n",
                r == -EPIPE ? "connection closed" : strerror(-r));
        return r;
    }
    json_error_t jerr;
    *reply = json_loadb(payload, len, 0, &jerr);
    free(payload);
    if (!*reply || !json_is_object(*reply)) {
        fprintf(stderr, "drover: error: bad answer from the daemon: %s\n", jerr.text);
        json_decref(*reply);
        return -EPROTO;
    }
    return 0;
}

int client_wait_daemon_exit(const struct cli *c, int timeout_ms)
{
    char path[4200];
    path_join(path, c->paths.home, "daemon.lock");
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 0;
        int free_now = flock(fd, LOCK_SH | LOCK_NB) == 0;
        close(fd);
        if (free_now)
            return 0;
        if (mono_ms() > deadline)
            return -ETIMEDOUT;
        sleep_ms(20);
    }
}

json_t *client_call(struct cli *c, json_t *req)
{
    json_t *reply = NULL;
    int r = client_request(c, req, 1, &reply);
    json_decref(req);
    if (r < 0)
        return NULL;
    if (!json_is_true(json_object_get(reply, "ok"))) {
        const char *e = json_string_value(json_object_get(reply, "error"));
        cli_error("%s", e ? e : "request failed");
        json_decref(reply);
        return NULL;
    }
    return reply;
}
