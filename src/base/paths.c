/* paths.c - where drover keeps its state. */
#include "base/paths.h"
#include "base/fdutil.h"
#include "base/macros.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int path_join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    return (n < 0 || n >= PATH_MAX) ? -ENAMETOOLONG : 0;
}

void path_normalize(const char *in, char *out, size_t len)
{
    size_t n = 0;
    if (len < 2) {
        if (len)
            out[0] = '\0';
        return;
    }
    out[n++] = '/';
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t part = (size_t)(end - p);
        if (part == 0 || (part == 1 && p[0] == '.')) {
            /* nothing */
        } else if (part == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 1 && out[n - 1] != '/')
                n--;
            if (n > 1)
                n--; /* the slash before the dropped component */
        } else if (n + (n > 1) + part < len) {
            if (n > 1)
                out[n++] = '/';
            memcpy(out + n, p, part);
            n += part;
        }
        p = end;
    }
    out[n] = '\0';
}

/* out = a + "/" + b, or just a when b is empty */
static int set_path(char *out, const char *a, const char *b)
{
    int n = *b ? snprintf(out, PATH_MAX, "%s/%s", a, b) : snprintf(out, PATH_MAX, "%s", a);
    return (n < 0 || n >= PATH_MAX) ? -ENAMETOOLONG : 0;
}

void paths_home_key(const struct drover_paths *p, char *out)
{
    /* The same path can name two homes (a chroot, a container sharing the
     * pid namespace): the directory's identity goes into the hash too. */
    struct stat st = {0};
    (void)stat(p->home, &st);
    char ident[PATH_MAX + 64];
    snprintf(ident, sizeof(ident), "%s|%llu|%llu", p->home, (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *s = ident; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    snprintf(out, PATHS_KEY_LEN + 1, "%016llx", (unsigned long long)h);
}

static const char *nonempty_env(const char *name)
{
    const char *v = getenv(name);
    return (v && *v == '/') ? v : NULL;
}

int paths_resolve(struct drover_paths *p)
{
    const char *dh = nonempty_env("DROVER_HOME");
    const char *home = nonempty_env("HOME");
    const char *xs = nonempty_env("XDG_STATE_HOME");
    const char *xr = nonempty_env("XDG_RUNTIME_DIR");
    const char *xc = nonempty_env("XDG_CONFIG_HOME");
    int r = 0;

    if (dh)
        r = set_path(p->home, dh, "");
    else if (xs)
        r = set_path(p->home, xs, "drover");
    else if (home)
        r = set_path(p->home, home, ".local/state/drover");
    else
        return -ENOENT;
    if (r < 0)
        return r;
    /* strip trailing slashes so joined paths stay tidy */
    for (size_t n = strlen(p->home); n > 1 && p->home[n - 1] == '/'; n--)
        p->home[n - 1] = '\0';

    if (!dh && xr)
        r = set_path(p->run, xr, "drover");
    else
        r = set_path(p->run, p->home, "run");
    if (r < 0)
        return r;

    if (xc)
        r = set_path(p->config, xc, "drover");
    else if (home)
        r = set_path(p->config, home, ".config/drover");
    else
        r = set_path(p->config, p->home, "config");
    if (r < 0)
        return r;

    if ((r = path_join(p->logs, p->home, "logs")) < 0 ||
        (r = path_join(p->pids, p->home, "pids")) < 0 ||
        (r = path_join(p->daemon_sock, p->run, "daemon.sock")) < 0 ||
        (r = path_join(p->sup_dir, p->run, "sup")) < 0 ||
        (r = path_join(p->notify_dir, p->run, "notify")) < 0)
        return r;
    return 0;
}

/* Creates path with mode and takes away any permission mode does not
 * give. */
static int ensure_dir(const char *path, mode_t mode)
{
    int r = mkdir_p(path, mode);
    if (r < 0)
        return r;
    struct stat st;
    if (stat(path, &st) < 0)
        return neg_errno();
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    if ((st.st_mode & 0777 & ~mode) && chmod(path, mode) < 0)
        return neg_errno();
    return 0;
}

int paths_ensure(const struct drover_paths *p)
{
    int r;
    if ((r = ensure_dir(p->home, 0700)) < 0 || (r = ensure_dir(p->run, 0700)) < 0 ||
        (r = ensure_dir(p->sup_dir, 0700)) < 0 || (r = ensure_dir(p->notify_dir, 0700)) < 0)
        return r;
    if ((r = mkdir_p(p->logs, 0755)) < 0 || (r = mkdir_p(p->pids, 0755)) < 0)
        return r;
    return 0;
}
