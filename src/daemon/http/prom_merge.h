/* prom_merge.h - merging the Prometheus text expositions of an app's
 * instances into one (/metrics/app/<name>, app_metrics.h).
 *
 * Behind one round-robin port a scraper reaches a random worker each time;
 * drover scrapes every instance on its own port and merges: each sample
 * gets an `instance` label (the instance id; an `instance` label the app set
 * itself is renamed `exported_instance`, as Prometheus does), and the
 * samples of one family from every instance are written together, under
 * one HELP and one TYPE line (the first seen), families in the order first
 * seen, as the format requires. A sample belongs to the family of the last
 * TYPE (or HELP) line before it when its name is that family's name or the
 * name plus _bucket, _sum, _count, _total or _created; otherwise it is a
 * family of its own (untyped). Other comments are dropped, and so are lines
 * that are not samples (they could not be parsed, so they cannot be
 * relabelled either).
 *
 * Pure (no I/O); limits: PROM_MERGE_MAX_FAMILIES families (-E2BIG past it)
 * and the strbuf limits of the output.
 *
 * Ownership: the caller owns the merge (prom_merge_free). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

#define PROM_MERGE_MAX_FAMILIES 20000

struct prom_merge;

/* A new, empty merge, or NULL when out of memory. */
struct prom_merge *prom_merge_new(void);

/* Adds the exposition text[0..len) of the instance with the given id.
 * Returns 0 or a negative errno (-E2BIG: too many families, -ENOMEM). */
int prom_merge_add(struct prom_merge *m, const char *text, size_t len, int64_t instance);

/* Appends the merged exposition to out. Returns 0 or a negative errno. */
int prom_merge_write(const struct prom_merge *m, struct strbuf *out);

/* Frees the merge; NULL is ignored. */
void prom_merge_free(struct prom_merge *m);
