/* gzip_main.c - drover-gzip, the compressor of rotated log files.
 *
 *   drover-gzip FILE...
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
#include <unistd.h>
#include <zlib.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#define GZ_CHUNK (256u * 1024u)
#define GZ_LEVEL 6

/* the temporary file being written, removed if we are killed politely */
static char tmp_path[PATH_MAX];
static volatile sig_atomic_t tmp_armed;

static void on_fatal_signal(int sig)
{
    if (tmp_armed)
        (void)unlink(tmp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: drover-gzip FILE...\n"
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

static int fsync_dir(const char *dir)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return neg_errno();
    if (fsync(fd) < 0)
        return neg_errno();
    return 0;
}

static int gzip_file(const char *path)
{
    _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
    if (in < 0)
        return neg_errno();
    struct stat st;
    if (fstat(in, &st) < 0)
        return neg_errno();
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    (void)posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);

    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[PATH_MAX], dst[PATH_MAX];
    char *tmp = tmp_path;
    int n;
    if (!slash)
        n = snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        n = snprintf(dir, sizeof(dir), "/");
    else
        n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (n < 0 || (size_t)n >= sizeof(dir) ||
        snprintf(dst, sizeof(dst), "%s.gz", path) >= (int)sizeof(dst) ||
        snprintf(tmp, sizeof(tmp_path), "%s/.%s.gz.XXXXXX", dir, base) >= (int)sizeof(tmp_path))
        return -ENAMETOOLONG;

    int out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0)
        return neg_errno();
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
    if (r == 0 && syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) < 0) {
        r = neg_errno();
        if (r == -EINVAL || r == -ENOSYS) {
            /* no RENAME_NOREPLACE here: link() refuses to replace too */
            r = link(tmp, dst) < 0 ? neg_errno() : 0;
            if (r == 0)
                (void)unlink(tmp);
        }
    }
    if (r < 0)
        (void)unlink(tmp);
    tmp_armed = 0;
    if (r < 0)
        return r;
    r = fsync_dir(dir);
    if (r < 0)
        return r;
    (void)posix_fadvise(in, 0, 0, POSIX_FADV_DONTNEED);
    if (unlink(path) < 0 && errno != ENOENT)
        return neg_errno();
    return 0;
}

int main(int argc, char **argv)
{
    log_setup("drover-gzip", 0);
    int first = 1;
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--") == 0)
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
