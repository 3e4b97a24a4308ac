/* capture.c - run a program, read its output (capture.h). */
#include "cli/capture.h"
#include "base/fdutil.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

int capture_run(const char *file, char *const argv[], char *const envp[], char *out, size_t len)
{
    int p[2];
    int r = pipe_cloexec(p, 0, 0);
    if (r < 0)
        return r;
    struct spawn_fd fds[] = {{-1, 0}, {p[1], 1}, {p[1], 2}};
    struct spawn_opts o = {.file = file, .argv = argv, .envp = envp, .fds = fds, .n_fds = 3};
    pid_t pid;
    r = spawn_process(&o, &pid, NULL);
    close(p[1]);
    if (r < 0) {
        close(p[0]);
        return r;
    }
    size_t got = 0;
    for (;;) {
        char drop[512];
        int room = got + 1 < len;
        ssize_t n = room ? read(p[0], out + got, len - 1 - got) : read(p[0], drop, sizeof(drop));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (room)
            got += (size_t)n;
    }
    if (len)
        out[got] = '\0';
    close(p[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
