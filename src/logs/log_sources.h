/* log_sources.h - which log files `drover logs <target>` shows, read from
 * the daemon's state.json (daemon/persist.h) rather than asked of the
 * daemon, so that it works while the daemon is busy or down.
 *
 * Pure: parses the text of state.json. A target is matched like the
 * daemon's targets: "all", an instance id, an app name or a namespace
 * (config "namespace", default "default"). Each matching instance gives
 * its out file and/or err file (an instance without one of them but with a
 * combined log_file gives that instead); a path already listed (merged
 * logs, one file for both streams) is listed once, under the first
 * instance. Sources come in instance id order, out before err. Relative
 * paths are taken relative to the app's cwd. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "logs/logger.h"

enum log_sources_streams {
    LOG_SOURCES_OUT = 1,
    LOG_SOURCES_ERR = 2,
    LOG_SOURCES_BOTH = 3,
};

struct log_source {
    int64_t id;     /* instance id */
    char *app_name; /* owned */
    enum log_stream stream;
    char *path;         /* absolute; owned */
    int json;           /* the app writes JSON lines (log_type json) */
    int64_t created_at; /* the instance's creation time, wall ms (0 if unknown) */
};

/* Owns items and everything in them. */
struct log_sources {
    struct log_source *items;
    size_t n;
};

/* Parses state.json text (len bytes) and lists the log files of the
 * instances matching target, for the streams asked (LOG_SOURCES_*), into
 * *out (zeroed first). Returns 0, -ENOENT when target is not "all" and
 * matches nothing, -EINVAL when the text is not a state object, or
 * -ENOMEM. Empty text is a state without apps. */
int log_sources_parse(const char *text, size_t len, const char *target, unsigned streams,
                      struct log_sources *out);

/* Index of the source reading path, or -1. */
long log_sources_find(const struct log_sources *s, const char *path);

/* Frees what the list holds; it can be reused after. */
void log_sources_free(struct log_sources *s);
