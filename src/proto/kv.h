/* kv.h - the payload format of drover's internal links (daemon <-> instance
 * supervisor, app <-> supervisor): a sequence of "key=value\0" records.
 *
 * Keys are [a-z0-9_.]+; values are any bytes but NUL, which argv, environment
 * strings and paths can never contain anyway. A key may repeat (argv, env);
 * readers take the first occurrence unless they iterate. Small enough for the
 * statically linked supervisor, which has no JSON library. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/macros.h"
#include "base/strbuf.h"

/* Appends key=value. Returns 0, -EINVAL for a bad key or a value containing
 * NUL, or -E2BIG when the buffer limit is reached. */
int kv_add(struct strbuf *sb, const char *key, const char *value);
int kv_add_len(struct strbuf *sb, const char *key, const char *value, size_t vlen);
int kv_addf(struct strbuf *sb, const char *key, const char *fmt, ...) PRINTF_LIKE(3, 4);
int kv_add_i64(struct strbuf *sb, const char *key, int64_t v);

/* A received message. buf must stay valid while the kv_msg is used. */
struct kv_msg {
    const char *buf;
    size_t len;
};

/* Checks that buf[0..len) is a well-formed record sequence (every record
 * NUL-terminated, has '=' after a valid key). Returns 0 or -EPROTO. */
int kv_parse(const char *buf, size_t len, struct kv_msg *out);

/* Returns the first value for key, or NULL. */
const char *kv_get(const struct kv_msg *m, const char *key);

/* Returns the first value for key parsed as an integer, or def when the
 * key is missing or not a number. */
int64_t kv_get_i64(const struct kv_msg *m, const char *key, int64_t def);

/* Iterates over the values of key: start with *pos = 0; returns the next
 * value or NULL when there are no more. */
const char *kv_next(const struct kv_msg *m, const char *key, size_t *pos);

/* Counts the records with this key. */
size_t kv_count(const struct kv_msg *m, const char *key);
