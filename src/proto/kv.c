/* kv.c - "key=value\0" record sequences. */
#include "proto/kv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static int key_ok(const char *k, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!key_char_ok(k[i]))
            return 0;
    return 1;
}

int kv_add_len(struct strbuf *sb, const char *key, const char *value, size_t vlen)
{
    size_t klen = strlen(key);
    if (!key_ok(key, klen) || memchr(value, '\0', vlen))
        return -EINVAL;
    int r = strbuf_reserve(sb, klen + vlen + 2);
    if (r < 0)
        return r;
    strbuf_append(sb, key, klen);
    strbuf_putc(sb, '=');
    strbuf_append(sb, value, vlen);
    strbuf_putc(sb, '\0');
    return 0;
}

int kv_add(struct strbuf *sb, const char *key, const char *value)
{
    return kv_add_len(sb, key, value, strlen(value));
}

int kv_addf(struct strbuf *sb, const char *key, const char *fmt, ...)
{
    struct strbuf tmp = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int r = strbuf_vprintf(&tmp, fmt, ap);
    va_end(ap);
    if (r == 0)
        r = kv_add_len(sb, key, tmp.buf ? tmp.buf : "", tmp.len);
    strbuf_free(&tmp);
    return r;
}

int kv_add_i64(struct strbuf *sb, const char *key, int64_t v)
{
    char num[32];
    snprintf(num, sizeof(num), "%" PRId64, v);
    return kv_add(sb, key, num);
}

int kv_parse(const char *buf, size_t len, struct kv_msg *out)
{
    size_t i = 0;
    while (i < len) {
        const char *rec = buf + i;
        const char *nul = memchr(rec, '\0', len - i);
        if (!nul)
            return -EPROTO;
        const char *eq = memchr(rec, '=', (size_t)(nul - rec));
        if (!eq || !key_ok(rec, (size_t)(eq - rec)))
            return -EPROTO;
        i += (size_t)(nul - rec) + 1;
    }
    out->buf = buf;
    out->len = len;
    return 0;
}

const char *kv_next(const struct kv_msg *m, const char *key, size_t *pos)
{
    size_t klen = strlen(key);
    while (*pos < m->len) {
        const char *rec = m->buf + *pos;
        size_t rlen = strlen(rec);
        *pos += rlen + 1;
        if (rlen > klen && rec[klen] == '=' && memcmp(rec, key, klen) == 0)
            return rec + klen + 1;
    }
    return NULL;
}

const char *kv_get(const struct kv_msg *m, const char *key)
{
    size_t pos = 0;
    return kv_next(m, key, &pos);
}

int64_t kv_get_i64(const struct kv_msg *m, const char *key, int64_t def)
{
    const char *v = kv_get(m, key);
    if (!v || !*v)
        return def;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end || errno)
        return def;
    return x;
}

size_t kv_count(const struct kv_msg *m, const char *key)
{
    size_t pos = 0, n = 0;
    while (kv_next(m, key, &pos))
        n++;
    return n;
}
