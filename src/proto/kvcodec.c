/* kvcodec.c - structs on the kv wire (kvcodec.h). */
#include "proto/kvcodec.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void *at(const void *obj, size_t offset)
{
    return (char *)obj + offset;
}

/* Parses a whole decimal integer. */
/* Plain decimal only: strtoll alone would take " 1", "+1" and " -1". */
static int parse_i64(const char *s, int64_t *out)
{
    if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return -EPROTO;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno)
        return -EPROTO;
    *out = v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -EPROTO;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno)
        return -EPROTO;
    *out = v;
    return 0;
}

int kvc_pack(const struct kvc_field *fields, size_t n, const void *obj, struct strbuf *sb)
{
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        const struct kvc_field *f = &fields[i];
        const void *p = at(obj, f->offset);
        switch (f->type) {
        case KVC_I64:
            r = kv_add_i64(sb, f->key, *(const int64_t *)p);
            break;
        case KVC_U64:
            r = kv_addf(sb, f->key, "%" PRIu64, *(const uint64_t *)p);
            break;
        case KVC_INT:
            r = kv_add_i64(sb, f->key, *(const int *)p);
            break;
        case KVC_STR:
            if (*(const char *const *)p)
                r = kv_add(sb, f->key, *(const char *const *)p);
            break;
        case KVC_CHARS:
            if (*(const char *)p)
                r = kv_add_len(sb, f->key, p, strnlen(p, f->size));
            break;
        case KVC_STRV:
            for (char *const *v = *(char *const *const *)p; v && *v && r == 0; v++)
                r = kv_add(sb, f->key, *v);
            break;
        case KVC_INTV: {
            int count = *(const int *)at(obj, f->count_offset);
            for (int k = 0; k < count && (size_t)k < f->size && r == 0; k++)
                r = kv_add_i64(sb, f->key, ((const int *)p)[k]);
            break;
        }
        case KVC_CHARSV: {
            int count = *(const int *)at(obj, f->count_offset);
            for (int k = 0; k < count && (size_t)k < f->size && r == 0; k++) {
                const char *e = (const char *)p + (size_t)k * f->elem;
                r = kv_add_len(sb, f->key, e, strnlen(e, f->elem));
            }
            break;
        }
        }
    }
    return r;
}

/* Copies s into a fixed buffer, cut at a byte boundary that keeps UTF-8
 * sequences whole. */
static void copy_chars(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int unpack_field(const struct kvc_field *f, const struct kv_msg *m, void *obj)
{
    void *p = at(obj, f->offset);
    const char *v;
    size_t pos = 0;
    switch (f->type) {
    case KVC_I64:
        return parse_i64(kv_get(m, f->key), p);
    case KVC_U64:
        return parse_u64(kv_get(m, f->key), p);
    case KVC_INT: {
        int64_t x;
        if (parse_i64(kv_get(m, f->key), &x) < 0 || x < INT32_MIN || x > INT32_MAX)
            return -EPROTO;
        *(int *)p = (int)x;
        return 0;
    }
    case KVC_STR:
        *(const char **)p = kv_get(m, f->key);
        return 0;
    case KVC_CHARS:
        v = kv_get(m, f->key);
        copy_chars(p, f->size, v ? v : "");
        return 0;
    case KVC_STRV: {
        size_t count = kv_count(m, f->key), k = 0;
        char **arr = calloc(count + 1, sizeof(char *));
        if (!arr)
            return -ENOMEM;
        while ((v = kv_next(m, f->key, &pos)))
            arr[k++] = (char *)v;
        *(char ***)p = arr;
        return 0;
    }
    case KVC_INTV: {
        int *count = at(obj, f->count_offset);
        while ((v = kv_next(m, f->key, &pos))) {
            int64_t x;
            if ((size_t)*count >= f->size || parse_i64(v, &x) < 0 || x < INT32_MIN || x > INT32_MAX)
                return -EPROTO;
            ((int *)p)[(*count)++] = (int)x;
        }
        return 0;
    }
    case KVC_CHARSV: {
        int *count = at(obj, f->count_offset);
        size_t total = kv_count(m, f->key), skip = total > f->size ? total - f->size : 0;
        /* the newest f->size are kept */
        while ((v = kv_next(m, f->key, &pos))) {
            if (skip) {
                skip--;
                continue;
            }
            copy_chars((char *)p + (size_t)(*count)++ * f->elem, f->elem, v);
        }
        return 0;
    }
    }
    return -EPROTO;
}

int kvc_unpack(const struct kvc_field *fields, size_t n, const struct kv_msg *m, void *obj,
               const char **bad)
{
    for (size_t i = 0; i < n; i++) {
        int r = unpack_field(&fields[i], m, obj);
        if (r < 0) {
            if (bad)
                *bad = fields[i].key;
            return r;
        }
    }
    if (bad)
        *bad = NULL;
    return 0;
}

void kvc_free(const struct kvc_field *fields, size_t n, void *obj)
{
    for (size_t i = 0; i < n; i++) {
        if (fields[i].type != KVC_STRV)
            continue;
        char ***p = at(obj, fields[i].offset);
        free(*p);
        *p = NULL;
    }
}
