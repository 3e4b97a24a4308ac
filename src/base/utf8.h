/* utf8.h - keeping text valid UTF-8 after it was cut to fit a buffer, so
 * that JSON encoders (which refuse invalid UTF-8) never fail on a message. */
#pragma once

#include <stddef.h>

/* Replaces, in place, every byte of s that is not part of a complete, valid
 * UTF-8 sequence (a sequence cut by truncation, stray continuation bytes,
 * overlong forms, surrogates) with '?'. */
void utf8_sanitize(char *s);

/* True when the NUL-terminated s is valid UTF-8. */
int utf8_valid(const char *s);
