/* roff.c - roff text for man pages (roff.h). */
#include "cli/roff.h"

#include <string.h>

/* Escapes one character; at_line_start makes a leading "." or "'" literal. */
static void put(FILE *out, char ch, int at_line_start)
{
    if (at_line_start && (ch == '.' || ch == '\''))
        fputs("\\&", out);
    if (ch == '\\')
        fputs("\\e", out);
    else if (ch == '-')
        fputs("\\-", out);
    else
        fputc(ch, out);
}

/* roff_text of the first n bytes of s */
static void text_n(FILE *out, const char *s, size_t n)
{
    int line_start = 1, code = 0;
    for (size_t i = 0; i < n && s[i]; i++) {
        if (s[i] == '`') {
            fputs(code ? "\\fR" : "\\fB", out);
            code = !code;
            continue;
        }
        put(out, s[i], line_start);
        line_start = s[i] == '\n';
    }
    if (code)
        fputs("\\fR", out);
}

void roff_text(FILE *out, const char *s)
{
    text_n(out, s, strlen(s));
}

void roff_prose(FILE *out, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\n");
        if (s[0] == '.')
            fwrite(s, 1, n, out);
        else
            text_n(out, s, n);
        fputc('\n', out);
        s += n + (s[n] != '\0');
    }
}

void roff_bold(FILE *out, const char *s)
{
    fputs("\\fB", out);
    roff_text(out, s);
    fputs("\\fR", out);
}

void roff_synopsis(FILE *out, const char *s)
{
    int line_start = 1;
    while (*s) {
        const char *close = *s == '<' ? strchr(s, '>') : NULL;
        int token_start = line_start || strchr(" [|", s[-1]) != NULL;
        if (close) {
            fputs("\\fI", out);
            for (s++; s < close; s++)
                put(out, *s, 0);
            fputs("\\fR", out);
            s++;
        } else if (*s == '-' && token_start) {
            fputs("\\fB", out);
            for (; *s && !strchr(" ]|", *s); s++)
                put(out, *s, 0);
            fputs("\\fR", out);
        } else {
            put(out, *s, line_start);
            s++;
        }
        line_start = 0;
    }
}
