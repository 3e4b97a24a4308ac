/* client.c - the CLI's connection to the daemon, with autostart. */
#include "cli/client.h"
#include "base/fdutil.h"
#include "base/macros.h"
#include "base/parse.h"
#include "base/paths.h"
#include "base/procfs.h"
#include "base/timeutil.h"
#include "base/unixsock.h"
#include "proto/frame.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DAEMON_START_TIMEOUT_MS 15000

extern char **environ;

static pid_t lock_holder(const struct cli *c);

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts droverd and waits for its "ready" on a pipe. A daemon that lost
 * the lock race exits without writing: the caller then simply connects to
 * the winner. Detached (its own session, output to daemon.log), or in the
 * foreground of this CLI (its log on our stdout and stderr, or on out_fd when
 * it is not -1; *pid_out set). */
static int spawn_daemon(struct cli *c, int foreground, int out_fd, pid_t *pid_out)
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
    char *argv[] = {"droverd", foreground ? "--foreground" : NULL, NULL};
    int out = foreground ? (out_fd >= 0 ? out_fd : 1) : -1;
    int err = foreground ? (out_fd >= 0 ? out_fd : 2) : -1;
    struct spawn_fd fds[] = {{-1, 0}, {out, 1}, {err, 2}, {p[1], 3}};
    struct spawn_opts o = {
        .file = path,
        .argv = argv,
        .envp = envp,
        .cwd = "/",
        .fds = fds,
        .n_fds = 4,
        .new_session = 1, /* a ^C to the CLI's group never reaches it */
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
    if (pid_out)
        *pid_out = pid;
    /* "ready\n" when it serves; EOF when it exits first (it lost the race
     * for the lock to another daemon, which the caller then reaches) */
    char buf[16];
    ssize_t got = 0;
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    int64_t deadline = mono_ms() + DAEMON_START_TIMEOUT_MS;
    while (mono_ms() < deadline) {
        int pr = poll(&pfd, 1, (int)(deadline - mono_ms()));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr > 0)
            got = read(p[0], buf, sizeof(buf));
        break;
    }
    close(p[0]);
    return got > 0 ? 0 : -ESRCH;
}

static int start_daemon(struct cli *c)
{
    int r = spawn_daemon(c, 0, -1, NULL);
    return r == -ESRCH ? 0 : r;
}

int client_start_foreground_daemon(struct cli *c, int out_fd, pid_t *pid)
{
    *pid = 0;
    int fd = unix_connect(c->paths.daemon_sock, 1);
    if (fd >= 0 || lock_holder(c)) {
        if (fd >= 0)
            close(fd);
        fprintf(stderr,
                "drover: note: a daemon already runs for %s: --no-daemon attaches to "
                "it\n",
                c->paths.home);
        return -EEXIST;
    }
    int r = paths_ensure(&c->paths);
    if (r == 0)
        r = spawn_daemon(c, 1, out_fd, pid);
    if (r == -ESRCH && *pid > 0) {
        /* it lost the lock to a daemon started meanwhile (a CLI's autostart) */
        waitpid(*pid, NULL, 0);
        *pid = 0;
        fprintf(stderr, "drover: note: a daemon started meanwhile for %s: attaching to it\n",
                c->paths.home);
        return -EEXIST;
    }
    if (r < 0) {
        if (*pid > 0)
            waitpid(*pid, NULL, 0);
        *pid = 0;
        fprintf(stderr, "drover: error: the daemon did not start: %s\n", strerror(-r));
    }
    return r;
}

/* How long the CLI waits for a sign of life from the daemon: to connect,
 * and between two frames of a reply (the daemon sends progress frames while
 * it works). DROVER_TIMEOUT (seconds) changes it for slow machines. */
static int64_t timeout_ms(const struct cli *c)
{
    if (c->timeout_ms > 0)
        return c->timeout_ms;
    const char *t = getenv("DROVER_TIMEOUT");
    int64_t ms;
    if (t && *t && parse_duration_ms(t, &ms) == 0) {
        /* a bare number is seconds here, as a user types it */
        if (strspn(t, "0123456789.") == strlen(t))
            ms *= 1000;
        if (ms > 0)
            return ms;
    }
    return CLIENT_DEFAULT_TIMEOUT_MS;
}

/* The pid written in daemon.lock when a daemon holds the lock, else 0. */
static pid_t lock_holder(const struct cli *c)
{
    char path[4200];
    path_join(path, c->paths.home, "daemon.lock");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    pid_t pid = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
        char buf[32] = "";
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        pid = n > 0 ? (pid_t)atoi(buf) : -1;
    }
    close(fd);
    return pid;
}

/* Says why a daemon does not answer: stopped, or busy. */
static void explain_silence(const struct cli *c, int64_t waited_ms)
{
    pid_t pid = lock_holder(c);
    struct proc_stat st;
    if (pid > 0 && proc_read_stat(pid, &st) == 0 && st.state == 'T')
        fprintf(stderr,
                "drover: error: the daemon (pid %d) did not answer within %.1f s: it is stopped "
                "(SIGSTOP); resume it with kill -CONT %d\n",
                (int)pid, (double)waited_ms / 1000.0, (int)pid);
    else
        fprintf(stderr,
                "drover: error: the daemon%s did not answer within %.1f s (set DROVER_TIMEOUT "
                "to wait longer)\n",
                pid > 0 ? " (pid in daemon.lock)" : "", (double)waited_ms / 1000.0);
}

/* Connects within the deadline. A daemon that holds the lock but whose
 * socket is gone (a wiped run dir) binds it again within a second. */
static int connect_daemon(struct cli *c, int autostart, int64_t deadline)
{
    int started = 0;
    for (;;) {
        int fd = unix_connect(c->paths.daemon_sock, 1);
        if (fd >= 0) {
            if (fd_set_nonblock(fd, 0) < 0) {
                close(fd);
                return -EIO;
            }
            return fd;
        }
        if (fd == -EACCES || fd == -EPERM) {
            fprintf(stderr,
                    "drover: error: permission denied on %s: the daemon of this home runs as "
                    "another user\n",
                    c->paths.daemon_sock);
            return fd;
        }
        int gone = fd == -ENOENT || fd == -ECONNREFUSED;
        if (gone && !lock_holder(c)) {
            if (!autostart)
                return -ENOTCONN;
            if (started > 1) {
                fprintf(stderr, "drover: error: the daemon did not start (see %s/daemon.log)\n",
                        c->paths.home);
                return fd;
            }
            int r = paths_ensure(&c->paths);
            if (r < 0)
                return r;
            r = start_daemon(c);
            if (r < 0)
                return r;
            started++;
            continue;
        }
        if (!gone && fd != -EAGAIN) {
            fprintf(stderr, "drover: error: cannot reach the daemon at %s: %s\n",
                    c->paths.daemon_sock, strerror(-fd));
            return fd;
        }
        /* a daemon runs (its socket is being bound again) or its backlog is
         * full: try again until the deadline */
        if (mono_ms() > deadline) {
            explain_silence(c, timeout_ms(c));
            return -ETIMEDOUT;
        }
        sleep_ms(20);
    }
}

/* Puts each process's app config (and inherited environment, when the
 * request asked for it) back: they travel once per app. */
static void attach_configs(json_t *reply)
{
    json_t *apps = json_object_get(reply, "apps");
    json_t *envs = json_object_get(reply, "base_envs");
    if (!json_is_object(apps))
        return;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(reply, "processes"), i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        json_t *config = json_object_get(apps, name);
        json_t *env = json_object_get(envs, name);
        if (config)
            json_object_set(p, "config", config);
        if (env)
            json_object_set(p, "base_env", env);
    }
    json_object_del(reply, "base_envs");
    json_object_del(reply, "apps");
}

int client_request(struct cli *c, json_t *req, int autostart, json_t **reply)
{
    int64_t wait = timeout_ms(c);
    /* a silent action shows no table: spare the daemon the process list */
    if (c->silent && !c->json && !json_object_get(req, "quiet"))
        json_object_set_new(req, "quiet", json_true());
    /* targets may be script paths, relative to where the user stands */
    char cwd[PATH_MAX];
    if (json_object_get(req, "targets") && !json_object_get(req, "cwd") && getcwd(cwd, sizeof(cwd)))
        json_object_set_new(req, "cwd", json_string(cwd));
    char *text = json_dumps(req, JSON_COMPACT);
    if (!text)
        return -ENOMEM;
    size_t len = strlen(text);
    if (len > FRAME_MAX_REQUEST) {
        fprintf(stderr,
                "drover: error: the request is too large (%zu KiB, the daemon accepts at most "
                "%u KiB): split it or shrink the configuration\n",
                len >> 10, FRAME_MAX_REQUEST >> 10);
        free(text);
        return -EMSGSIZE;
    }
    int fd = connect_daemon(c, autostart, mono_ms() + wait);
    if (fd < 0) {
        free(text);
        return fd;
    }
    int r = frame_send(fd, text, len, NULL, 0);
    free(text);
    char *payload = NULL;
    size_t plen = 0;
    /* progress frames say the daemon works on it; the reply ends the wait */
    while (r == 0) {
        r = frame_recv(fd, FRAME_MAX_RESPONSE, (int)wait, &payload, &plen, NULL, NULL);
        if (r < 0)
            break;
        if (!strstr(payload, "\"progress\"") || strstr(payload, "\"ok\""))
            break;
        free(payload);
        payload = NULL;
    }
    close(fd);
    if (r == -ETIMEDOUT) {
        explain_silence(c, wait);
        return r;
    }
    if (r < 0) {
        fprintf(stderr, "drover: error: no answer from the daemon: %s\n",
                r == -EPIPE ? "it closed the connection (see its log, daemon.log)" : strerror(-r));
        return r;
    }
    json_error_t jerr;
    *reply = json_loadb(payload, plen, 0, &jerr);
    free(payload);
    if (!*reply || !json_is_object(*reply)) {
        fprintf(stderr, "drover: error: bad answer from the daemon: %s\n", jerr.text);
        json_decref(*reply);
        return -EPROTO;
    }
    attach_configs(*reply);
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
