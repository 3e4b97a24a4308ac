/* watch_match.c - ignore_watch patterns against changed paths. */
#include "daemon/triggers/watch_match.h"

#include <fnmatch.h>
#include <limits.h>
#include <string.h>

const char *const watch_default_ignores[] = {
    "node_modules", ".git", "__pycache__", "*.swp", "*.swx", "*~", ".#*", NULL,
};

/* Does pat match one of rel's components? */
static int match_component(const char *pat, const char *rel)
{
    char comp[NAME_MAX + 1];
    while (*rel) {
        size_t len = strcspn(rel, "/");
        if (len > 0 && len < sizeof(comp)) {
            memcpy(comp, rel, len);
            comp[len] = '\0';
            if (fnmatch(pat, comp, 0) == 0)
                return 1;
        }
        rel += len;
        rel += *rel == '/';
    }
    return 0;
}

/* Does pat match rel, or a leading part of it that ends at a component
 * boundary? With anywhere, the part may also start at any component. */
static int match_path(const char *pat, const char *rel, int anywhere)
{
    char part[PATH_MAX];
    size_t rel_len = strlen(rel);
    if (rel_len >= sizeof(part))
        return 0;
    for (size_t start = 0; start < rel_len;) {
        for (size_t end = start; end <= rel_len; end++) {
            if (end < rel_len && rel[end] != '/')
                continue;
            if (end > start) {
                memcpy(part, rel + start, end - start);
                part[end - start] = '\0';
                if (fnmatch(pat, part, FNM_PATHNAME) == 0)
                    return 1;
            }
        }
        if (!anywhere)
            break;
        const char *slash = strchr(rel + start, '/');
        if (!slash)
            break;
        start = (size_t)(slash - rel) + 1;
    }
    return 0;
}

/* Copies pattern p into buf in the form match_path expects; returns NULL
 * when it cannot match anything below root. */
static const char *normalize(const char *root, const char *p, char *buf, size_t len, int *anywhere)
{
    if (p[0] == '/') {
        size_t root_len = strlen(root);
        while (root_len > 1 && root[root_len - 1] == '/')
            root_len--;
        if (strncmp(p, root, root_len) != 0 || p[root_len] != '/')
            return NULL;
        p += root_len + 1;
    }
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    *anywhere = 0;
    while (strncmp(p, "**/", 3) == 0) {
        p += 3;
        *anywhere = 1;
    }
    size_t n = strlen(p);
    if (n >= len)
        return NULL;
    memcpy(buf, p, n + 1);
    for (;;) {
        if (n > 0 && buf[n - 1] == '/')
            buf[--n] = '\0';
        else if (n > 3 && strcmp(buf + n - 3, "/**") == 0)
            buf[n -= 3] = '\0';
        else
            break;
    }
    return n ? buf : NULL;
}

int watch_ignored(const char *root, const char *rel, const char *const *patterns, size_t n)
{
    if (!*rel)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char buf[PATH_MAX];
        int anywhere;
        const char *p = normalize(root, patterns[i], buf, sizeof(buf), &anywhere);
        if (!p)
            continue;
        if (strchr(p, '/') ? match_path(p, rel, anywhere) : match_component(p, rel))
            return 1;
    }
    return 0;
}
