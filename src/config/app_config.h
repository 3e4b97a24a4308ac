/* app_config.h - validating and normalizing one app's configuration.
 *
 * Input: a JSON object using PM2's option names (from an ecosystem file or
 * built by the CLI from flags). Output: the same object in canonical form:
 * durations and sizes as integers (ms, bytes), signals as "SIGINT", args as
 * arrays, booleans as booleans, exec_mode "fork"/"cluster", instances an
 * integer (0 = all usable CPUs, -1 = all but one). Absent keys stay absent;
 * their defaults live in the getters below (and in README's reference).
 * Unknown keys are dropped with a warning naming the key; an invalid value
 * is an error naming the app, the key and the value. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults (documented in README's config reference). */
#define CFG_DEFAULT_KILL_TIMEOUT_MS 5000
#define CFG_DEFAULT_MIN_UPTIME_MS 1000
#define CFG_DEFAULT_MAX_RESTARTS 16
#define CFG_DEFAULT_LISTEN_TIMEOUT_MS 8000
#define CFG_DEFAULT_MAX_INSTANCES 256
#define CFG_HARD_MAX_INSTANCES 4096
#define CFG_MAX_NAME_LEN 128

/* Normalizes one app object (in is borrowed). On success stores a new
 * object in *out and returns 0. Unknown keys append a message to warnings
 * (a JSON array; may be NULL). On failure returns -EINVAL and writes
 * "app 'NAME': KEY: problem" into err. */
int app_config_normalize(json_t *in, json_t **out, json_t *warnings, char *err, size_t errlen);

/* Checks an app or namespace name: 1 to CFG_MAX_NAME_LEN bytes, no '/'
 * and no control characters (newline, ESC, CR...), not "all", "." or "..",
 * not only digits (targets would be ambiguous), no leading '-'. Returns 0,
 * or -EINVAL with the reason in why ("must not contain ..."). The one
 * validator behind every path that creates or restores an app. */
int app_name_check(const char *name, char *why, size_t whylen);

/* Typed getters over a normalized app object, with defaults. */
const char *cfg_str(const json_t *app, const char *key, const char *def);
int64_t cfg_int(const json_t *app, const char *key, int64_t def);
int cfg_bool(const json_t *app, const char *key, int def);

/* The app's kill_signal as a number (SIGINT by default). */
int cfg_kill_signal(const json_t *app);

/* True when exec_mode is cluster. */
int cfg_is_cluster(const json_t *app);
