/* prom_text.h - writing the Prometheus text exposition format 0.0.4: a
 * family's HELP and TYPE lines, then its samples with escaped label
 * values. Pure (appends to a strbuf), unit-tested; metrics.c says what is
 * measured.
 *
 * Names are the caller's constants and are not checked; label values are
 * anything (app names, addresses) and are escaped (\\, \", \n). */
#pragma once

#include <stddef.h>

#include "base/strbuf.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum prom_type { PROM_GAUGE, PROM_COUNTER };

/* One label of a sample; a NULL value leaves the label out. */
struct prom_label {
    const char *name;
    const char *value;
};

/* Appends "# HELP name help" (help escaped) and "# TYPE name gauge|counter".
 * Returns 0 or a negative errno (-E2BIG past the strbuf's limit). */
int prom_family(struct strbuf *sb, const char *name, enum prom_type type, const char *help);

/* Appends one sample line: name{l1="v1",...} value. n may be 0 (no braces).
 * Integral values are written without a fraction, others with 15
 * significant digits; NaN and infinities as Prometheus spells them.
 * Returns 0 or a negative errno. */
int prom_sample(struct strbuf *sb, const char *name, const struct prom_label *labels, size_t n,
                double value);

/* Appends s with a label value's escapes (backslash, double quote,
 * newline). Returns 0 or a negative errno. */
int prom_escape_label(struct strbuf *sb, const char *s);
