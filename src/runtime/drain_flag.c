/* drain_flag.c - draining marks as files under <home>/drain. */
#include "runtime/drain_flag.h"
#include "base/fdutil.h"
#include "base/macros.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRAIN_DIR "drain"
#define DRAIN_NAME_MAX 255

static int flag_path(const struct drover_paths *p, const char *app, char *out)
{
    if (!app || !*app || strchr(app, '/') || !strcmp(app, ".") || !strcmp(app, "..") ||
        strlen(app) > DRAIN_NAME_MAX)
        return -EINVAL;
    int n = snprintf(out, PATH_MAX, "%s/" DRAIN_DIR "/%s", p->home, app);
    return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int drain_flag_set(const struct drover_paths *p, const char *app)
{
    char path[PATH_MAX], dir[PATH_MAX];
    int r = flag_path(p, app, path);
    if (r < 0)
        return r;
    if ((r = path_join(dir, p->home, DRAIN_DIR)) < 0 || (r = mkdir_p(dir, 0700)) < 0)
        return r;
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return neg_errno();
    close(fd);
    return 0;
}

int drain_flag_clear(const struct drover_paths *p, const char *app)
{
    char path[PATH_MAX];
    int r = flag_path(p, app, path);
    if (r < 0)
        return r;
    return unlink(path) < 0 && errno != ENOENT ? neg_errno() : 0;
}

int drain_flag_clear_all(const struct drover_paths *p)
{
    char dir[PATH_MAX];
    int r = path_join(dir, p->home, DRAIN_DIR);
    if (r < 0)
        return r;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : neg_errno();
    DIR *d = fdopendir(dfd);
    if (!d) {
        r = neg_errno();
        close(dfd);
        return r;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
            r = neg_errno();
    closedir(d);
    return r;
}

static int exists(const struct drover_paths *p, const char *app)
{
    char path[PATH_MAX];
    struct stat st;
    return flag_path(p, app, path) == 0 && lstat(path, &st) == 0;
}

int drain_flag_is_set(const struct drover_paths *p, const char *app)
{
    return exists(p, DRAIN_ALL) || (app && exists(p, app));
}
