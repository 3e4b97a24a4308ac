/* gzip_main.c - drover-gzip, the compressor of rotated log files.
 *
 *   drover-gzip FILE...
 *   drover-gzip --at NAME     (the supervisor's form: the file is stdin, its
 *                              directory fd 3; no path is resolved at all)
 *
 * For each FILE, writes FILE.gz (gzip format, with FILE's base name and
 * mtime in the header, FILE's mode and times) and then removes FILE. The
 * data goes to a hidden temporary file in the same directory, is fsync'ed
 * and only then renamed to FILE.gz, so a crash or a full disk never leaves
 * a partial FILE.gz (an existing FILE.gz is never replaced; the temporary
 * file is removed on failure and on SIGTERM/SIGINT/SIGHUP). Exits 0 when
 * every file was compressed, 1 if any failed (each failure is reported on
 * stderr), 2 on bad usage. The supervisor runs it on one rotated file at a
 * time; it lowers its own priority so the apps keep the CPU. */
#include "base/fdutil.h"
#include "base/log.h"
#include "base/macros.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#define GZ_CHUNK (256u * 1024u)
#define GZ_LEVEL 6

#define AT_DIR_FD 3

/* the temporary file being written, removed if we are killed politely */
static char tmp_name[NAME_MAX + 1];
static int tmp_dirfd = -1;
static volatile sig_atomic_t tmp_armed;

static void on_fatal_signal(int sig)
{
    if (tmp_armed)
        (void)unlinkat(tmp_dirfd, tmp_name, 0);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: drover-gzip FILE...\n"
                 "       drover-gzip --at NAME   (file on stdin, its directory at fd 3)\n"
                 "compresses each FILE to FILE.gz, then removes FILE\n");
}

/* Deflates everything in `in` into `out`, reading again if the file grew
 * while we read it (a writer that had not yet noticed the rotation). */
static int deflate_fd(int in, int out, const struct stat *st, const char *base)
{
    _cleanup_free_ unsigned char *ibuf = malloc(GZ_CHUNK);
    _cleanup_free_ unsigned char *obuf = malloc(GZ_CHUNK);
    if (!ibuf || !obuf)
        return -ENOMEM;

    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, GZ_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    gz_header hdr;
    memset(&hdr, 0, sizeof(hdr));
    hdr.name = (Bytef *)(uintptr_t)base;
    hdr.time = (uLong)st->st_mtime;
    hdr.os = 3; /* Unix */
    int r = 0;
    if (deflateSetHeader(&zs, &hdr) != Z_OK) {
        r = -EIO;
        goto out;
    }

    off_t total = 0;
    for (;;) {
        ssize_t n = read(in, ibuf, GZ_CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = neg_errno();
            goto out;
        }
        int flush = Z_NO_FLUSH;
        if (n == 0) {
            struct stat now;
            if (fstat(in, &now) < 0) {
                r = neg_errno();
                goto out;
            }
            if (now.st_size > total)
                continue; /* it grew: read the rest first */
            flush = Z_FINISH;
        }
        total += n;
        zs.next_in = ibuf;
        zs.avail_in = (uInt)n;
        int zr;
        do {
            zs.next_out = obuf;
            zs.avail_out = GZ_CHUNK;
            zr = deflate(&zs, flush);
            if (zr == Z_STREAM_ERROR) {
                r = -EIO;
                goto out;
            }
            r = write_full(out, obuf, GZ_CHUNK - zs.avail_out);
            if (r < 0)
                goto out;
        } while (zs.avail_out == 0);
        if (flush == Z_FINISH) {
            if (zr != Z_STREAM_END)
                r = -EIO;
            break;
        }
    }
out:
    deflateEnd(&zs);
    return r;
}

/* Creates a fresh hidden temporary file next to base, in dirfd. */
static int create_tmp(int dirfd, const char *base, mode_t mode)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[7];
        for (int i = 0; i < 6; i++) {
            seed = seed * 1103515245u + 12345u;
            suffix[i] = letters[(seed >> 16) % (sizeof(letters) - 1)];
        }
        suffix[6] = '\0';
        if (snprintf(tmp_name, sizeof(tmp_name), ".%s.gz.%s", base, suffix) >=
            (int)sizeof(tmp_name))
            return -ENAMETOOLONG;
        int fd =
            openat(dirfd, tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return neg_errno();
    }
    return -EEXIST;
}

/* Compresses the file open at in (named base in dirfd) to base.gz in
 * dirfd, then removes base there. Every name is resolved inside dirfd,
 * without following symlinks. */
static int gzip_at(int dirfd, const char *base, int in)
{
    struct stat st;
    if (fstat(in, &st) < 0)
        return neg_errno();
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    if (strchr(base, '/') || !*base)
        return -EINVAL;
    (void)posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
    char dst[NAME_MAX + 1];
    if (snprintf(dst, sizeof(dst), "%s.gz", base) >= (int)sizeof(dst))
        return -ENAMETOOLONG;

    tmp_dirfd = dirfd;
    int out = create_tmp(dirfd, base, st.st_mode & 0666);
    if (out < 0)
        return out;
    tmp_armed = 1;
    int r = 0;
    if (fchmod(out, st.st_mode & 0666) < 0)
        r = neg_errno();
    if (r == 0)
        r = deflate_fd(in, out, &st, base);
    if (r == 0) {
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        (void)futimens(out, times);
        if (fsync(out) < 0)
            r = neg_errno();
    }
    if (close(out) < 0 && r == 0)
        r = neg_errno();
    if (r == 0 && syscall(SYS_renameat2, dirfd, tmp_name, dirfd, dst, RENAME_NOREPLACE) < 0) {
        r = neg_errno();
        if (r == -EINVAL || r == -ENOSYS) {
            /* no RENAME_NOREPLACE here: link() refuses to replace too */
            r = linkat(dirfd, tmp_name, dirfd, dst, 0) < 0 ? neg_errno() : 0;
            if (r == 0)
                (void)unlinkat(dirfd, tmp_name, 0);
        }
    }
    if (r < 0)
        (void)unlinkat(dirfd, tmp_name, 0);
    tmp_armed = 0;
    if (r < 0)
        return r;
    _cleanup_close_ int dir = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || fsync(dir) < 0)
        return neg_errno();
    (void)posix_fadvise(in, 0, 0, POSIX_FADV_DONTNEED);
    /* only if the name still names the file we compressed */
    struct stat now;
    if (fstatat(dirfd, base, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev &&
        now.st_ino == st.st_ino && unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
        return neg_errno();
    return 0;
}

/* The command-line form: a user's own file, by path. */
static int gzip_file(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[PATH_MAX];
    int n;
    if (!slash)
        n = snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        n = snprintf(dir, sizeof(dir), "/");
    else
        n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return -ENAMETOOLONG;
    _cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return neg_errno();
    _cleanup_close_ int in = openat(dirfd, base, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
    if (in < 0)
        return neg_errno();
    return gzip_at(dirfd, base, in);
}

int main(int argc, char **argv)
{
    log_setup("drover-gzip", 0);
    int first = 1;
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    int at = argc == 3 && strcmp(argv[1], "--at") == 0;
    if (argc > 1 && strcmp(argv[1], "--") == 0)
        first = 2;
    else if (at)
        first = 2;
    else if (argc > 1 && argv[1][0] == '-')
        first = argc; /* no options exist */
    if (first >= argc) {
        usage(stderr);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* background work: leave the CPU to the apps */
    errno = 0;
    (void)!nice(10);

    if (at) {
        int r = gzip_at(AT_DIR_FD, argv[2], STDIN_FILENO);
        if (r < 0)
            log_error_errno(r, "cannot compress %s", argv[2]);
        return r < 0 ? 1 : 0;
    }
    int status = 0;
    for (int i = first; i < argc; i++) {
        int r = gzip_file(argv[i]);
        if (r < 0) {
            log_error_errno(r, "cannot compress %s", argv[i]);
            status = 1;
        }
    }
    return status;
}
