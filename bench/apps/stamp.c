/* stamp.c - writes "exec <pid> <epoch seconds>" to a file, then execs argv.
 *
 *   stamp <file> <program> [args...]
 *
 * Used by the recovery benchmark to see when a manager's replacement process
 * reached execve(): this binary is static-ish and tiny, so the stamp is taken
 * ~0.2 ms after the manager's own exec. Compiled by the harness at run time.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct timespec ts;
    char line[96];

    clock_gettime(CLOCK_REALTIME, &ts);
    if (argc < 3) {
        fprintf(stderr, "usage: stamp <file> <program> [args...]\n");
        return 2;
    }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        int n = snprintf(line, sizeof line, "exec %d %lld.%06ld\n", (int)getpid(),
                         (long long)ts.tv_sec, ts.tv_nsec / 1000);
        if (write(fd, line, (size_t)n) != n)
            perror("stamp: write");
        close(fd);
    }
    execvp(argv[2], argv + 2);
    perror("stamp: exec");
    return 127;
}
