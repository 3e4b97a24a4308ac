/* log.h - diagnostics for drover's own processes (not the apps' logs).
 *
 * Rule: functions return negative errno and do not log; the boundary that
 * decides what to do with a failure (an event handler, main, a CLI command)
 * logs it once. Messages are lowercase, without a final period.
 */
#pragma once

#include "base/macros.h"

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Sets the program name shown in every line and whether lines carry a
 * timestamp (daemons: yes, CLI: no). Lines go to stderr. */
void log_setup(const char *progname, int with_timestamps);

/* Writes one formatted line at the given level. */
void log_msg(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Writes "<message>: <strerror(-r)>" at error level and returns r, so a
 * boundary can write `return log_error_errno(r, "...")`. r must be negative. */
int log_error_errno(int r, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Same as log_error_errno at warning level. */
int log_warn_errno(int r, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
