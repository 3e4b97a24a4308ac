/* option_value.h - one option value to its canonical form: what
 * app_config_normalize does per key, by the option's type (options.h):
 * durations and sizes as integers, signals as "SIGINT", args as arrays,
 * enumerations as their word, listen addresses canonical. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "base/macros.h"
#include "config/options.h"

/* Normalizes v for option d. Returns a new reference, or NULL with
 * "app 'APP': KEY: problem" in err (valid UTF-8 whatever was cut). */
json_t *option_value_normalize(const struct opt_def *d, json_t *v, const char *app, char *err,
                               size_t errlen);

/* Writes "app 'APP': KEY: <message>" into err and returns -EINVAL. */
int option_error(char *err, size_t errlen, const char *app, const char *key, const char *fmt, ...)
    PRINTF_LIKE(5, 6);

/* "an object", "an array", "null", "a scalar", "nothing" (NULL), for messages. */
const char *option_type_of(const json_t *v);

/* The text of a scalar (string, number, boolean) into buf; -EINVAL for an
 * object, an array or null. */
int option_scalar_text(const json_t *v, char *buf, size_t len);
