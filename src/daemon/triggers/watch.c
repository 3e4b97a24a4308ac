/* watch.c - restart an app when its files change.
 *
 * One inotify fd serves the whole daemon. Each inotify watch (a directory,
 * or a file given as a watch path) is a `wdir`, kept in an array sorted by
 * watch descriptor; several apps may share one (two apps of one project),
 * so a wdir lists its users, each with the directory's path relative to
 * that user's watched root. Directories are watched recursively: new ones
 * are added as they appear, ignored ones (watch_match.h) are never entered,
 * and an app stops adding watches at WATCH_MAX_PER_APP.
 *
 * A change starts the app's debounce: the restart happens watch_delay
 * after the last event of the burst (at most WATCH_MAX_DEFER_MS after its
 * first, so a never-ending stream of changes still restarts). */
#include "base/log.h"
#include "base/macros.h"
#include "base/paths.h"
#include "base/timeutil.h"
#include "config/app_config.h"
#include "daemon/triggers/trigger.h"
#include "daemon/triggers/watch_match.h"
#include "loop/loop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define WATCH_MAX_PER_APP 8192
#define WATCH_MAX_ROOTS 64
#define WATCH_MAX_IGNORES 256
#define WATCH_MAX_DEFER_MS 10000
#define WATCH_READ_ROUNDS 8
/* Content changes are seen on close (IN_CLOSE_WRITE), not on every write. */
#define WATCH_EVENTS                                                                               \
    (IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |       \
     IN_MOVE_SELF | IN_EXCL_UNLINK)

struct wuser {
    struct app_watch *aw;
    char *rel; /* the wdir's path relative to aw's root, "" for the root */
    unsigned root;
};

struct wdir {
    int wd;
    char *path; /* absolute */
    struct wuser *users;
    size_t n_users;
};

struct watch_set {
    int fd;
    struct wdir **dirs; /* sorted by wd */
    size_t n_dirs, cap_dirs;
    int limit_logged; /* fs.inotify.max_user_watches reached */
};

struct app_watch {
    struct daemon *d;
    struct app *app;
    char **roots; /* absolute */
    size_t n_roots;
    const char **ignores; /* defaults, then ignore_watch (strings owned) */
    size_t n_ignores, n_default_ignores;
    int64_t delay_ms;
    size_t n_watches; /* wdir users that are this app */
    int cap_logged;
    int rescan; /* a root went away or events were lost: walk the roots again */
    int64_t timer, first_ms, last_ms;
    char first_change[200];
};

static void aw_scan_roots(struct watch_set *ws, struct app_watch *aw);

/* --ext js,json: only files with one of these extensions count (".js" and
 * "js" alike); directories always do (they may hold such files). */
static int extension_counts(const struct app *app, const char *name, int is_dir)
{
    const json_t *exts = app->cfg.watch_extensions;
    if (is_dir || json_array_size(exts) == 0)
        return 1;
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    size_t i;
    const json_t *e;
    json_array_foreach(exts, i, e)
    {
        const char *ext = json_string_value(e);
        if (ext && !strcmp(dot + 1, ext + (ext[0] == '.')))
            return 1;
    }
    return 0;
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    size_t n = la;
    if (la && lb)
        s[n++] = '/';
    memcpy(s + n, b, lb + 1);
    return s;
}

/* Index of the first wdir with wd >= wd. */
static size_t dir_lower_bound(const struct watch_set *ws, int wd)
{
    size_t lo = 0, hi = ws->n_dirs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ws->dirs[mid]->wd < wd)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct wdir *dir_find(const struct watch_set *ws, int wd)
{
    size_t i = dir_lower_bound(ws, wd);
    return i < ws->n_dirs && ws->dirs[i]->wd == wd ? ws->dirs[i] : NULL;
}

static void dir_free(struct wdir *w)
{
    for (size_t i = 0; i < w->n_users; i++) {
        w->users[i].aw->n_watches--;
        free(w->users[i].rel);
    }
    free(w->users);
    free(w->path);
    free(w);
}

/* Forgets the wdir at index i; rm: also remove the kernel's watch. */
static void dir_remove_at(struct watch_set *ws, size_t i, int rm)
{
    struct wdir *w = ws->dirs[i];
    if (rm)
        inotify_rm_watch(ws->fd, w->wd);
    memmove(&ws->dirs[i], &ws->dirs[i + 1], (ws->n_dirs - i - 1) * sizeof(ws->dirs[0]));
    ws->n_dirs--;
    dir_free(w);
}

static int path_is_under(const char *path, const char *top)
{
    size_t n = strlen(top);
    return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* A directory moved or deleted: its watches (and those below it) would
 * report under stale paths; drop them. A move is seen again at its new
 * place (IN_MOVED_TO) if that is watched. */
static void remove_subtree(struct watch_set *ws, const char *top)
{
    for (size_t i = ws->n_dirs; i-- > 0;)
        if (path_is_under(ws->dirs[i]->path, top))
            dir_remove_at(ws, i, 1);
}

static void log_limits(struct watch_set *ws, struct app_watch *aw, int r)
{
    if (r == -ENOSPC && !ws->limit_logged) {
        ws->limit_logged = 1;
        log_warn("inotify watch limit reached (sysctl fs.inotify.max_user_watches): "
                 "some changes will not restart their app");
    } else if (r == -EDQUOT && !aw->cap_logged) {
        aw->cap_logged = 1;
        log_warn("app '%s': watching stopped at %d directories (add ignore_watch entries)",
                 aw->app->name, WATCH_MAX_PER_APP);
    }
}

/* Records a new wdir for wd, keeping the array sorted. */
static struct wdir *dir_insert(struct watch_set *ws, int wd, const char *path)
{
    if (ws->n_dirs == ws->cap_dirs) {
        size_t ncap = ws->cap_dirs ? ws->cap_dirs * 2 : 64;
        struct wdir **nd = realloc(ws->dirs, ncap * sizeof(*nd));
        if (!nd)
            return NULL;
        ws->dirs = nd;
        ws->cap_dirs = ncap;
    }
    struct wdir *w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return NULL;
    }
    w->wd = wd;
    size_t pos = dir_lower_bound(ws, wd);
    memmove(&ws->dirs[pos + 1], &ws->dirs[pos], (ws->n_dirs - pos) * sizeof(ws->dirs[0]));
    ws->dirs[pos] = w;
    ws->n_dirs++;
    return w;
}

/* Adds (or joins) the inotify watch of path for aw. Returns 0, -EDQUOT at
 * the app's cap, or a negative errno from inotify_add_watch. */
static int add_watch(struct watch_set *ws, struct app_watch *aw, unsigned root, const char *path,
                     const char *rel, int is_root)
{
    if (aw->n_watches >= WATCH_MAX_PER_APP)
        return -EDQUOT;
    uint32_t mask = WATCH_EVENTS | (is_root ? 0 : IN_ONLYDIR | IN_DONT_FOLLOW);
    int wd = inotify_add_watch(ws->fd, path, mask);
    if (wd < 0)
        return neg_errno();
    struct wdir *w = dir_find(ws, wd);
    if (!w && !(w = dir_insert(ws, wd, path))) {
        inotify_rm_watch(ws->fd, wd);
        return -ENOMEM;
    }
    for (size_t i = 0; i < w->n_users; i++)
        if (w->users[i].aw == aw && w->users[i].root == root)
            return 0;
    struct wuser *nu = realloc(w->users, (w->n_users + 1) * sizeof(*nu));
    if (nu)
        w->users = nu;
    char *rel_copy = nu ? strdup(rel) : NULL;
    if (!rel_copy)
        return -ENOMEM; /* a wdir left without users is dropped with its app */
    w->users[w->n_users++] = (struct wuser){aw, rel_copy, root};
    aw->n_watches++;
    return 0;
}

struct scan_item {
    char *path, *rel;
};

/* Watches the directory path (rel below aw's root) and every directory
 * below it that is not ignored. Symbolic links are not followed. */
static void scan_tree(struct watch_set *ws, struct app_watch *aw, unsigned root, const char *path,
                      const char *rel, int is_root)
{
    struct scan_item *stack = malloc(sizeof(*stack));
    size_t n = 0, cap = 1;
    if (!stack || !(stack[0].path = strdup(path)) || !(stack[0].rel = strdup(rel))) {
        if (stack)
            free(stack[0].path);
        free(stack);
        return;
    }
    n = 1;
    int stop = 0;
    while (n > 0) {
        struct scan_item it = stack[--n];
        int r = stop ? 0 : add_watch(ws, aw, root, it.path, it.rel, is_root && !*it.rel);
        if (r < 0) {
            log_limits(ws, aw, r);
            stop = r == -ENOSPC || r == -EDQUOT || r == -ENOMEM;
        }
        int fd =
            stop || r < 0
                ? -1
                : open(it.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (*it.rel ? O_NOFOLLOW : 0));
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
        if (!dir && fd >= 0)
            close(fd);
        struct dirent *de;
        while (dir && (de = readdir(dir))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            int is_dir = de->d_type == DT_DIR;
            if (de->d_type == DT_UNKNOWN) {
                struct stat st;
                is_dir = fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                         S_ISDIR(st.st_mode);
            }
            if (!is_dir)
                continue;
            if (aw->n_watches + n >= WATCH_MAX_PER_APP) {
                log_limits(ws, aw, -EDQUOT);
                break;
            }
            char *child_rel = join(it.rel, de->d_name);
            if (!child_rel)
                break;
            if (watch_ignored(aw->roots[root], child_rel, aw->ignores, aw->n_ignores)) {
                free(child_rel);
                continue;
            }
            if (n == cap) {
                struct scan_item *ns = realloc(stack, cap * 2 * sizeof(*ns));
                if (!ns) {
                    free(child_rel);
                    break;
                }
                stack = ns;
                cap *= 2;
            }
            stack[n].rel = child_rel;
            if (!(stack[n].path = join(it.path, de->d_name))) {
                free(child_rel);
                break;
            }
            n++;
        }
        if (dir)
            closedir(dir);
        free(it.path);
        free(it.rel);
    }
    free(stack);
}

static void on_debounce(struct ev_loop *loop, void *data)
{
    struct app_watch *aw = data;
    (void)loop;
    aw->timer = 0;
    int64_t now = mono_ms(), quiet = now - aw->last_ms;
    if (quiet < aw->delay_ms && now - aw->first_ms < WATCH_MAX_DEFER_MS) {
        aw->timer = ev_timer_add(aw->d->loop, aw->delay_ms - quiet, on_debounce, aw);
        return;
    }
    if (aw->rescan && aw->d->triggers->watch) {
        aw->rescan = 0;
        aw_scan_roots(aw->d->triggers->watch, aw);
    }
    char why[sizeof(aw->first_change) + 16];
    snprintf(why, sizeof(why), "watch: %s", aw->first_change);
    log_info("app '%s': %s changed: restarting", aw->app->name, aw->first_change);
    trigger_restart_app(aw->d, aw->app, why);
}

/* Something changed for aw: (re)start its debounce. */
static void note_change(struct app_watch *aw, const char *what)
{
    int64_t now = mono_ms();
    aw->last_ms = now;
    if (aw->timer > 0)
        return;
    aw->first_ms = now;
    snprintf(aw->first_change, sizeof(aw->first_change), "%s", *what ? what : "watched path");
    int64_t id = ev_timer_add(aw->d->loop, aw->delay_ms, on_debounce, aw);
    aw->timer = id > 0 ? id : 0;
}

/* Every app that watches: events were lost. */
static void all_changed(struct daemon *d)
{
    for (size_t i = 0; i < d->reg.n_apps; i++) {
        struct app_triggers *at = d->reg.apps[i]->triggers;
        if (at && at->watch) {
            at->watch->rescan = 1;
            note_change(at->watch, "(inotify queue overflow)");
        }
    }
}

static void handle_event(struct daemon *d, struct watch_set *ws, const struct inotify_event *ev)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        all_changed(d);
        return;
    }
    struct wdir *w = dir_find(ws, ev->wd);
    if (!w)
        return; /* removed by us: its IN_IGNORED, or events queued before */
    if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
        /* Below a root, the parent reports the same change by name. */
        int is_root = 0;
        for (size_t i = 0; i < w->n_users; i++) {
            if (!*w->users[i].rel) {
                w->users[i].aw->rescan = 1;
                note_change(w->users[i].aw, w->path);
                is_root = 1;
            }
        }
        if (ev->mask & IN_IGNORED)
            dir_remove_at(ws, dir_lower_bound(ws, ev->wd), 0);
        else if ((ev->mask & IN_MOVE_SELF) && is_root)
            remove_subtree(ws, w->path);
        return;
    }
    const char *name = ev->len ? ev->name : "";
    int is_dir = (ev->mask & IN_ISDIR) != 0;
    char *abs = join(w->path, name);
    if (!abs)
        return;
    if (is_dir && (ev->mask & (IN_MOVED_FROM | IN_DELETE)) && *name)
        remove_subtree(ws, abs);
    /* scan_tree may add users to w (a directory bind-mounted into itself):
     * index, and look at the users present when the event came */
    size_t n_users = w->n_users;
    for (size_t i = 0; i < n_users; i++) {
        struct app_watch *aw = w->users[i].aw;
        unsigned root = w->users[i].root;
        char *rel = join(w->users[i].rel, name);
        if (!rel)
            break;
        if (!watch_ignored(aw->roots[root], rel, aw->ignores, aw->n_ignores)) {
            if (is_dir && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
                scan_tree(ws, aw, root, abs, rel, 0);
            if (extension_counts(aw->app, name, is_dir))
                note_change(aw, *rel ? rel : w->path);
        }
        free(rel);
    }
    free(abs);
}

static void on_inotify(struct ev_loop *loop, int fd, unsigned events, void *data)
{
    struct daemon *d = data;
    struct watch_set *ws = d->triggers->watch;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    (void)loop;
    (void)events;
    for (int round = 0; round < WATCH_READ_ROUNDS; round++) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                log_warn_errno(neg_errno(), "reading inotify events");
            return;
        }
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            handle_event(d, ws, ev);
            p += sizeof(*ev) + ev->len;
        }
    }
}

static struct watch_set *watch_set_get(struct daemon *d)
{
    if (d->triggers->watch)
        return d->triggers->watch;
    struct watch_set *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return NULL;
    ws->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ws->fd < 0 || ev_io_add(d->loop, ws->fd, EV_READ, on_inotify, d) < 0) {
        int saved = errno;
        if (ws->fd >= 0)
            close(ws->fd);
        free(ws);
        errno = saved;
        return NULL;
    }
    d->triggers->watch = ws;
    return ws;
}

void watch_set_free(struct daemon *d)
{
    struct watch_set *ws = d->triggers->watch;
    if (!ws)
        return;
    while (ws->n_dirs)
        dir_remove_at(ws, ws->n_dirs - 1, 0);
    ev_io_del(d->loop, ws->fd);
    close(ws->fd);
    free(ws->dirs);
    free(ws);
    d->triggers->watch = NULL;
}

static void aw_scan_roots(struct watch_set *ws, struct app_watch *aw)
{
    for (unsigned i = 0; i < aw->n_roots; i++) {
        struct stat st;
        if (stat(aw->roots[i], &st) < 0) {
            log_warn("app '%s': watch path %s: %s", aw->app->name, aw->roots[i], strerror(errno));
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            scan_tree(ws, aw, i, aw->roots[i], "", 1);
        } else {
            int r = add_watch(ws, aw, i, aw->roots[i], "", 1);
            if (r < 0)
                log_limits(ws, aw, r);
        }
    }
}

static void aw_free(struct app_watch *aw)
{
    for (size_t i = 0; i < aw->n_roots; i++)
        free(aw->roots[i]);
    free(aw->roots);
    for (size_t i = aw->n_default_ignores; i < aw->n_ignores; i++)
        free((char *)aw->ignores[i]);
    free(aw->ignores);
    free(aw);
}

/* Fills aw's roots (absolute, against cwd) and ignores from the config. */
static int aw_configure(struct app_watch *aw, const struct app_config *config)
{
    const json_t *watch = config->watch;
    const json_t *ignore = config->ignore_watch;
    const char *cwd = config->cwd ? config->cwd : "/";
    size_t n_roots = json_is_array(watch) ? json_array_size(watch) : 1;
    size_t n_user_ignores = json_is_array(ignore) ? json_array_size(ignore) : 0;
    size_t n_defaults = 0;
    while (watch_default_ignores[n_defaults])
        n_defaults++;
    if (n_roots == 0 || n_roots > WATCH_MAX_ROOTS || n_user_ignores > WATCH_MAX_IGNORES)
        return -E2BIG;
    aw->roots = calloc(n_roots, sizeof(char *));
    aw->ignores = calloc(n_defaults + n_user_ignores, sizeof(char *));
    if (!aw->roots || !aw->ignores)
        return -ENOMEM;
    for (size_t i = 0; i < n_roots; i++) {
        const char *p = json_is_array(watch) ? json_string_value(json_array_get(watch, i)) : cwd;
        if (!p || !*p)
            continue;
        char *abs = p[0] == '/' ? strdup(p) : join(cwd, p);
        if (!abs)
            return -ENOMEM;
        size_t len = strlen(abs);
        while (len > 1 && abs[len - 1] == '/')
            abs[--len] = '\0';
        aw->roots[aw->n_roots++] = abs;
    }
    for (size_t i = 0; i < n_defaults; i++)
        aw->ignores[aw->n_ignores++] = watch_default_ignores[i];
    aw->n_default_ignores = n_defaults;
    for (size_t i = 0; i < n_user_ignores; i++) {
        const char *p = json_string_value(json_array_get(ignore, i));
        char *copy = p ? strdup(p) : NULL;
        if (p && !copy)
            return -ENOMEM;
        if (copy)
            aw->ignores[aw->n_ignores++] = copy;
    }
    return aw->n_roots ? 0 : -EINVAL;
}

int watch_app_add(struct daemon *d, struct app *app, struct app_watch **out)
{
    *out = NULL;
    const json_t *watch = app->cfg.watch;
    if (!watch || json_is_false(watch) || (json_is_array(watch) && !json_array_size(watch)))
        return 0;
    struct app_watch *aw = calloc(1, sizeof(*aw));
    if (!aw)
        return -ENOMEM;
    aw->d = d;
    aw->app = app;
    aw->delay_ms = app->cfg.watch_delay_ms;
    int r = aw_configure(aw, &app->cfg);
    struct watch_set *ws = r < 0 ? NULL : watch_set_get(d);
    if (r == 0 && !ws)
        r = neg_errno();
    if (r < 0) {
        aw_free(aw);
        return r;
    }
    aw_scan_roots(ws, aw);
    log_info("app '%s': watching %zu path(s), %zu inotify watch(es)", app->name, aw->n_roots,
             aw->n_watches);
    *out = aw;
    return 0;
}

void watch_app_remove(struct daemon *d, struct app_watch *aw)
{
    struct watch_set *ws = d->triggers->watch;
    ev_timer_cancel(d->loop, aw->timer);
    for (size_t i = ws ? ws->n_dirs : 0; i-- > 0;) {
        struct wdir *w = ws->dirs[i];
        for (size_t k = w->n_users; k-- > 0;) {
            if (w->users[k].aw != aw)
                continue;
            free(w->users[k].rel);
            memmove(&w->users[k], &w->users[k + 1], (w->n_users - k - 1) * sizeof(w->users[0]));
            w->n_users--;
            aw->n_watches--;
        }
        if (w->n_users == 0)
            dir_remove_at(ws, i, 1);
    }
    aw_free(aw);
}
