/* paths.h - where drover keeps its state.
 *
 *   home    $DROVER_HOME, else $XDG_STATE_HOME/drover, else ~/.local/state/drover
 *           (daemon.lock, daemon.log, state.json, dump.json, logs/, pids/)
 *   run     <home>/run when DROVER_HOME is set, else $XDG_RUNTIME_DIR/drover,
 *           else <home>/run (daemon.sock, sup/<id>.<gen>.sock, notify/<id>.<gen>.sock)
 *   config  $XDG_CONFIG_HOME/drover, else ~/.config/drover
 *
 * home, run, run/sup and run/notify are created 0700 (an app running as
 * another user gets an abstract notify socket, sup/notify.c). */
#pragma once

#include <stddef.h>

#include <limits.h>

struct drover_paths {
    char home[PATH_MAX];
    char run[PATH_MAX];
    char logs[PATH_MAX];
    char pids[PATH_MAX]; /* PM2's pid files, <name>-<id>.pid */
    char config[PATH_MAX];
    char daemon_sock[PATH_MAX];
    char sup_dir[PATH_MAX];
    char notify_dir[PATH_MAX];
};

/* Fills p from the environment. Returns -ENAMETOOLONG or -ENOENT (no HOME). */
int paths_resolve(struct drover_paths *p);

/* Creates home, run, run/sup, run/notify, logs and pids when missing, with the
 * modes above, and tightens any that is looser. */
int paths_ensure(const struct drover_paths *p);

/* A short name of this home (16 hex digits of a hash of its path, device
 * and inode; call it once the home exists): it tells
 * this home's supervisors, app processes and cgroups from another home's.
 * out must hold PATHS_KEY_LEN + 1 bytes. */
#define PATHS_KEY_LEN 16
void paths_home_key(const struct drover_paths *p, char *out);

/* Joins dir and name into out (size PATH_MAX). Returns -ENAMETOOLONG. */
int path_join(char *out, const char *dir, const char *name);

/* Writes the absolute path in into out (size len, at least strlen(in)+1)
 * without "." and ".." components or repeated slashes, lexically, as
 * Node's path.resolve does ("/a/./b/../c//" -> "/a/c"). */
void path_normalize(const char *in, char *out, size_t len);
