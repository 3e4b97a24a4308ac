/* prom_text.c - the Prometheus text format (prom_text.h). */
#include "daemon/http/prom_text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Appends s escaping backslashes and newlines, and double quotes when
 * quotes is set (label values; HELP text leaves them alone). */
static int append_escaped(struct strbuf *sb, const char *s, int quotes)
{
    for (const char *run = s;; s++) {
        const char *esc = NULL;
        if (*s == '\\')
            esc = "\\\\";
        else if (*s == '\n')
            esc = "\\n";
        else if (quotes && *s == '"')
            esc = "\\\"";
        else if (*s)
            continue;
        int r = s > run ? strbuf_append(sb, run, (size_t)(s - run)) : 0;
        if (r == 0 && esc)
            r = strbuf_puts(sb, esc);
        if (r < 0 || !*s)
            return r;
        run = s + 1;
    }
}

int prom_escape_label(struct strbuf *sb, const char *s)
{
    return append_escaped(sb, s, 1);
}

int prom_family(struct strbuf *sb, const char *name, enum prom_type type, const char *help)
{
    int r = strbuf_printf(sb, "# HELP %s ", name);
    if (r == 0)
        r = append_escaped(sb, help, 0);
    if (r == 0)
        r = strbuf_printf(sb, "\n# TYPE %s %s\n", name, type == PROM_COUNTER ? "counter" : "gauge");
    return r;
}

static int append_value(struct strbuf *sb, double v)
{
    if (isnan(v))
        return strbuf_puts(sb, "NaN");
    if (isinf(v))
        return strbuf_puts(sb, v > 0 ? "+Inf" : "-Inf");
    if (v == floor(v) && fabs(v) < 1e15)
        return strbuf_printf(sb, "%.0f", v);
    return strbuf_printf(sb, "%.15g", v);
}

int prom_sample(struct strbuf *sb, const char *name, const struct prom_label *labels, size_t n,
                double value)
{
    int r = strbuf_puts(sb, name);
    int first = 1;
    for (size_t i = 0; i < n && r == 0; i++) {
        if (!labels[i].value)
            continue;
        r = strbuf_printf(sb, "%s%s=\"", first ? "{" : ",", labels[i].name);
        if (r == 0)
            r = prom_escape_label(sb, labels[i].value);
        if (r == 0)
            r = strbuf_putc(sb, '"');
        first = 0;
    }
    if (r == 0 && !first)
        r = strbuf_putc(sb, '}');
    if (r == 0)
        r = strbuf_putc(sb, ' ');
    if (r == 0)
        r = append_value(sb, value);
    if (r == 0)
        r = strbuf_putc(sb, '\n');
    return r;
}
