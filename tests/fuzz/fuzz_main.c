/* fuzz_main.c - replays fuzz inputs without libFuzzer.
 *
 * Linked with a fuzz_<name>.c instead of libFuzzer, this main() calls
 * LLVMFuzzerTestOneInput once per input: every regular file (names starting
 * with '.' skipped, in name order) of each directory given on the command
 * line, or a file given directly. Each input is copied into a buffer of
 * exactly its size, so ASan or valgrind see a read past its end. A directory
 * without inputs is an error (a corpus that went missing must not pass).
 *
 *   fuzz_cron_replay tests/fuzz/corpus/cron */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads the whole file at dirfd/name into a malloc'd buffer of its size. */
static int read_input(int dirfd, const char *name, uint8_t **out, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int r = n < 0 ? -errno : -EIO;
            free(buf);
            close(fd);
            return r;
        }
        got += (size_t)n;
    }
    close(fd);
    *out = buf;
    *len = size;
    return 0;
}

static int run_one(int dirfd, const char *name, const char *shown)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = read_input(dirfd, name, &buf, &len);
    if (r < 0) {
        fprintf(stderr, "fuzz_main: %s: %s\n", shown, strerror(-r));
        return r;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int skip_dot(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

static int run_dir(const char *path)
{
    int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        fprintf(stderr, "fuzz_main: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct dirent **names;
    int n = scandir(path, &names, skip_dot, alphasort);
    if (n < 0) {
        fprintf(stderr, "fuzz_main: %s: %s\n", path, strerror(errno));
        close(dirfd);
        return -1;
    }
    int ran = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (fstatat(dirfd, names[i]->d_name, &st, 0) == 0 && S_ISREG(st.st_mode)) {
            char shown[4096];
            snprintf(shown, sizeof(shown), "%s/%s", path, names[i]->d_name);
            if (run_one(dirfd, names[i]->d_name, shown) < 0)
                failed = 1;
            else
                ran++;
        }
        free(names[i]);
    }
    free(names);
    close(dirfd);
    printf("fuzz_main: %d inputs from %s\n", ran, path);
    if (ran == 0) {
        fprintf(stderr, "fuzz_main: %s: no inputs\n", path);
        return -1;
    }
    return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (run_dir(argv[i]) < 0)
                failed = 1;
        } else if (run_one(AT_FDCWD, argv[i], argv[i]) < 0) {
            failed = 1;
        } else {
            printf("fuzz_main: ran %s\n", argv[i]);
        }
    }
    return failed;
}
