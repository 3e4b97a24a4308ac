/* fuzz_argsplit.c - splitting a command string into arguments
 * (config/argsplit.h). Checks: the array is NULL-terminated and counted
 * right; an unterminated quote is the only error; text without quotes or
 * backslashes splits exactly at blanks; and the arguments, quoted back the
 * way a shell would ('...' with '\'' for a quote), split to themselves.
 * Input: the command string (up to its first NUL). */
#include "fuzz.h"

#include "base/strbuf.h"
#include "config/argsplit.h"

#include <errno.h>

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Splitting by blanks only, for text without quotes or backslashes. */
static void check_plain(const char *s, char **argv, size_t n)
{
    size_t i = 0;
    for (const char *p = s; *p;) {
        while (blank(*p))
            p++;
        if (!*p)
            break;
        size_t len = 0;
        while (p[len] && !blank(p[len]))
            len++;
        FUZZ_CHECK(i < n && strlen(argv[i]) == len && memcmp(argv[i], p, len) == 0,
                   "'%s': argument %zu is not '%.*s'", s, i, (int)len, p);
        i++;
        p += len;
    }
    FUZZ_CHECK(i == n, "'%s': %zu arguments, %zu words", s, n, i);
}

static void check_requote(const char *s, char **argv, size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_putc(&sb, ' ');
        strbuf_putc(&sb, '\'');
        for (const char *p = argv[i]; *p; p++)
            if (*p == '\'')
                strbuf_puts(&sb, "'\\''");
            else
                strbuf_putc(&sb, *p);
        strbuf_putc(&sb, '\'');
    }
    const char *quoted = sb.buf ? sb.buf : "";
    char **again;
    size_t m;
    FUZZ_CHECK(argsplit(quoted, &again, &m) == 0, "'%s' requoted as '%s' is refused", s, quoted);
    FUZZ_CHECK(m == n, "'%s' requoted as '%s' gives %zu arguments, not %zu", s, quoted, m, n);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(strcmp(argv[i], again[i]) == 0, "'%s' requoted as '%s': '%s' became '%s'", s,
                   quoted, argv[i], again[i]);
    argsplit_free(again);
    strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    size_t len;
    fuzz_split(data, size, &len);
    char *s = fuzz_strndup(data, len);
    char **argv = NULL;
    size_t n = 12345;
    int r = argsplit(s, &argv, &n);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL && strpbrk(s, "'\""), "'%s': returned %d", s, r);
        free(s);
        return 0;
    }
    FUZZ_CHECK(r == 0 && argv, "'%s': returned %d without an array", s, r);
    size_t count = 0;
    while (argv[count])
        count++;
    FUZZ_CHECK(count == n, "'%s': %zu strings before NULL, count says %zu", s, count, n);
    if (!strpbrk(s, "'\"\\"))
        check_plain(s, argv, n);
    check_requote(s, argv, n);
    argsplit_free(argv);
    free(s);
    return 0;
}
