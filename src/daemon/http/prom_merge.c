/* prom_merge.c - one exposition from an app's instances (prom_merge.h). */
#include "daemon/http/prom_merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct family {
    char *name;
    char *help; /* the rest of the first HELP line, or NULL */
    char *type; /* the rest of the first TYPE line, or NULL */
    struct strbuf samples;
};

struct prom_merge {
    struct family *fams;
    size_t n, cap;
};

struct prom_merge *prom_merge_new(void)
{
    return calloc(1, sizeof(struct prom_merge));
}

void prom_merge_free(struct prom_merge *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->fams[i].name);
        free(m->fams[i].help);
        free(m->fams[i].type);
        strbuf_free(&m->fams[i].samples);
    }
    free(m->fams);
    free(m);
}

static int is_name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

/* Length of the metric name at s (0: none). */
static size_t name_len(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && is_name_char(s[i], i == 0))
        i++;
    return i;
}

static struct family *find(struct prom_merge *m, const char *name, size_t len)
{
    for (size_t i = m->n; i-- > 0;)
        if (strlen(m->fams[i].name) == len && !memcmp(m->fams[i].name, name, len))
            return &m->fams[i];
    return NULL;
}

static struct family *get(struct prom_merge *m, const char *name, size_t len, int *err)
{
    struct family *f = find(m, name, len);
    if (f)
        return f;
    if (m->n == PROM_MERGE_MAX_FAMILIES) {
        *err = -E2BIG;
        return NULL;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        struct family *g = realloc(m->fams, cap * sizeof(*g));
        if (!g) {
            *err = -ENOMEM;
            return NULL;
        }
        m->fams = g;
        m->cap = cap;
    }
    f = &m->fams[m->n];
    memset(f, 0, sizeof(*f));
    f->samples = (struct strbuf)STRBUF_INIT;
    f->name = strndup(name, len);
    if (!f->name) {
        *err = -ENOMEM;
        return NULL;
    }
    m->n++;
    return f;
}

/* Does the sample name[0..len) belong to family fam? */
static int of_family(const struct family *fam, const char *name, size_t len)
{
    static const char *const suffixes[] = {"", "_bucket", "_sum", "_count", "_total", "_created"};
    size_t fl = strlen(fam->name);
    if (len < fl || memcmp(name, fam->name, fl))
        return 0;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (len - fl == strlen(suffixes[i]) && !memcmp(name + fl, suffixes[i], len - fl))
            return 1;
    return 0;
}

/* "# HELP name text" or "# TYPE name type": notes the family. */
static int meta_line(struct prom_merge *m, const char *line, size_t len, struct family **cur)
{
    int help = len > 7 && !memcmp(line, "# HELP ", 7);
    int type = len > 7 && !memcmp(line, "# TYPE ", 7);
    if (!help && !type)
        return 0; /* another comment: dropped */
    const char *name = line + 7;
    size_t nl = name_len(name, len - 7);
    if (!nl || (7 + nl < len && name[nl] != ' '))
        return 0;
    int err = 0;
    struct family *f = get(m, name, nl, &err);
    if (!f)
        return err;
    const char *rest = name + nl + (7 + nl < len ? 1 : 0);
    size_t rl = len - (size_t)(rest - line);
    char **slot = help ? &f->help : &f->type;
    if (!*slot && !(*slot = strndup(rest, rl)))
        return -ENOMEM;
    *cur = f;
    return 0;
}

/* Copies the label set at s (after '{') up to its '}', renaming an
 * `instance` label; returns the bytes consumed including '}', or 0 when
 * the set is malformed. */
static size_t copy_labels(struct strbuf *out, const char *s, size_t len, int *err)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == ','))
            i++;
        if (i < len && s[i] == '}')
            return i + 1;
        size_t nl = name_len(s + i, len - i);
        if (!nl || i + nl >= len || s[i + nl] != '=' || i + nl + 1 >= len || s[i + nl + 1] != '"')
            return 0;
        size_t v = i + nl + 2;
        while (v < len && s[v] != '"')
            v += s[v] == '\\' ? 2 : 1;
        if (v >= len)
            return 0;
        int r = strbuf_puts(out, ",");
        if (r == 0 && nl == 8 && !memcmp(s + i, "instance", 8))
            r = strbuf_puts(out, "exported_");
        if (r == 0)
            r = strbuf_append(out, s + i, v + 1 - i);
        if (r < 0) {
            *err = r;
            return 0;
        }
        i = v + 1;
    }
    return 0;
}

static int sample_line(struct prom_merge *m, const char *line, size_t len, int64_t instance,
                       struct family **cur)
{
    size_t nl = name_len(line, len);
    if (!nl || nl == len || (line[nl] != '{' && line[nl] != ' ' && line[nl] != '\t'))
        return 0; /* not a sample */
    int err = 0;
    struct family *f = *cur && of_family(*cur, line, nl) ? *cur : get(m, line, nl, &err);
    if (!f)
        return err;
    struct strbuf *out = &f->samples;
    size_t mark = out->len;
    int r = strbuf_append(out, line, nl);
    if (r == 0)
        r = strbuf_printf(out, "{instance=\"%lld\"", (long long)instance);
    size_t rest = nl;
    if (r == 0 && line[nl] == '{') {
        size_t used = copy_labels(out, line + nl + 1, len - nl - 1, &err);
        if (!used) {
            out->len = mark; /* malformed: dropped */
            if (out->buf)
                out->buf[mark] = '\0';
            return err;
        }
        rest = nl + 1 + used;
    }
    if (r == 0)
        r = strbuf_puts(out, "}");
    if (r == 0)
        r = strbuf_append(out, line + rest, len - rest);
    if (r == 0)
        r = strbuf_puts(out, "\n");
    return r;
}

int prom_merge_add(struct prom_merge *m, const char *text, size_t len, int64_t instance)
{
    struct family *cur = NULL;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t l = end - i;
        if (l && text[i + l - 1] == '\r')
            l--;
        int r = 0;
        if (l && text[i] == '#')
            r = meta_line(m, text + i, l, &cur);
        else if (l)
            r = sample_line(m, text + i, l, instance, &cur);
        if (r < 0)
            return r;
        i = end + 1;
    }
    return 0;
}

int prom_merge_write(const struct prom_merge *m, struct strbuf *out)
{
    int r = 0;
    for (size_t i = 0; i < m->n && r == 0; i++) {
        const struct family *f = &m->fams[i];
        if (!f->samples.len && !f->type)
            continue;
        if (f->help)
            r = strbuf_printf(out, "# HELP %s %s\n", f->name, f->help);
        if (r == 0 && f->type)
            r = strbuf_printf(out, "# TYPE %s %s\n", f->name, f->type);
        if (r == 0 && f->samples.len)
            r = strbuf_append(out, f->samples.buf, f->samples.len);
    }
    return r;
}
