/* kvcodec.h - structs on the kv wire (kv.h): one field table per message
 * type, compiled into both ends, drives both pack and unpack (s6's one
 * status record with one pack/unpack). A field the writer has is a field
 * the reader reads: no name is typed twice, so none can be misspelled into
 * a silent default.
 *
 * Packing writes every field (strings: when not NULL / empty). Unpacking
 * fills a zeroed struct, requires every scalar field (a missing or
 * malformed one is -EPROTO, naming the key) and takes strings, string lists
 * and integer lists when present. Keys that are not in the table (the
 * envelope: cmd=, req=, reply=) are left to the caller. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "proto/kv.h"

enum kvc_type {
    KVC_I64,   /* int64_t */
    KVC_U64,   /* uint64_t */
    KVC_INT,   /* int (also enums) */
    KVC_STR,   /* const char *: into the payload once unpacked; NULL: absent */
    KVC_CHARS, /* char[size], copied (cut to fit); "": absent */
    KVC_STRV,  /* char ** NULL-terminated, one record per element; unpack
                * allocates the array (kvc_free), the strings stay in the payload */
    KVC_INTV,  /* int[size] and an int count at count_offset, one record per element */
    KVC_CHARSV /* char[size][elem] and an int count at count_offset */
};

struct kvc_field {
    const char *key;
    enum kvc_type type;
    size_t offset;
    size_t size;         /* KVC_CHARS: bytes; KVC_INTV, KVC_CHARSV: elements */
    size_t elem;         /* KVC_CHARSV: bytes per element */
    size_t count_offset; /* KVC_INTV, KVC_CHARSV: the int holding the count */
};

#define KVC_FIELD(type_, member, t)                                                                \
    {                                                                                              \
#member, t, offsetof(type_, member), 0, 0, 0                                               \
    }
#define KVC_CHARS_FIELD(type_, member)                                                             \
    {                                                                                              \
#member, KVC_CHARS, offsetof(type_, member), sizeof(((type_ *)0)->member), 0, 0            \
    }
#define KVC_INTV_FIELD(type_, member, count)                                                       \
    {                                                                                              \
#member, KVC_INTV, offsetof(type_, member), sizeof(((type_ *)0)->member) / sizeof(int), 0, \
            offsetof(type_, count)                                                                 \
    }
#define KVC_CHARSV_FIELD(type_, member, count)                                                     \
    {                                                                                              \
#member, KVC_CHARSV, offsetof(type_, member),                                              \
            sizeof(((type_ *)0)->member) / sizeof(((type_ *)0)->member[0]),                        \
            sizeof(((type_ *)0)->member[0]), offsetof(type_, count)                                \
    }

/* Appends obj's fields to sb. Returns 0 or a negative errno (-E2BIG when
 * sb's limit is reached, -EINVAL for a string holding a NUL). */
int kvc_pack(const struct kvc_field *fields, size_t n, const void *obj, struct strbuf *sb);

/* Fills obj (which the caller zeroed) from m. Returns 0, or -EPROTO with *bad naming
 * the first missing or malformed field, or -ENOMEM. Strings point into m's
 * buffer, which must outlive obj. Free with kvc_free even on failure. */
int kvc_unpack(const struct kvc_field *fields, size_t n, const struct kv_msg *m, void *obj,
               const char **bad);

/* Frees what kvc_unpack allocated in obj (KVC_STRV arrays). */
void kvc_free(const struct kvc_field *fields, size_t n, void *obj);
