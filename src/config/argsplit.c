/* argsplit.c - shell-like splitting without a shell. */
#include "config/argsplit.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int push(char ***arr, size_t *n, size_t *cap, struct strbuf *word)
{
    if (*n + 2 > *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        char **na = realloc(*arr, ncap * sizeof(char *));
        if (!na)
            return -ENOMEM;
        *arr = na;
        *cap = ncap;
    }
    (*arr)[(*n)++] = strbuf_detach(word, NULL);
    (*arr)[*n] = NULL;
    return 0;
}

int argsplit(const char *s, char ***out, size_t *n_out)
{
    char **arr = NULL;
    size_t n = 0, cap = 0;
    struct strbuf word = STRBUF_INIT;
    int in_word = 0, r = 0;
    const char *p = s;

    while (*p && r == 0) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word)
                r = push(&arr, &n, &cap, &word);
            in_word = 0;
            p++;
        } else if (c == '\'') {
            in_word = 1;
            const char *end = strchr(p + 1, '\'');
            if (!end) {
                r = -EINVAL;
                break;
            }
            r = strbuf_append(&word, p + 1, (size_t)(end - p - 1));
            p = end + 1;
        } else if (c == '"') {
            in_word = 1;
            p++;
            while (*p && *p != '"' && r == 0) {
                if (*p == '\\' && p[1] && strchr("\"\\$`", p[1])) {
                    r = strbuf_putc(&word, p[1]);
                    p += 2;
                } else {
                    r = strbuf_putc(&word, *p++);
                }
            }
            if (*p != '"') {
                r = -EINVAL;
                break;
            }
            p++;
        } else if (c == '\\' && p[1]) {
            in_word = 1;
            r = strbuf_putc(&word, p[1]);
            p += 2;
        } else {
            in_word = 1;
            r = strbuf_putc(&word, c);
            p++;
        }
    }
    if (r == 0 && in_word)
        r = push(&arr, &n, &cap, &word);
    if (r == 0 && !arr) {
        arr = calloc(1, sizeof(char *));
        if (!arr)
            r = -ENOMEM;
    }
    strbuf_free(&word);
    if (r < 0) {
        argsplit_free(arr);
        return r;
    }
    *out = arr;
    *n_out = n;
    return 0;
}

void argsplit_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}
