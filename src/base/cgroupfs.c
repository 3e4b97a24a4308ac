/* cgroupfs.c - finding cgroup v2. */
#include "base/cgroupfs.h"
#include "base/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cgroupfs_mount(char *out, size_t len)
{
    char *text = NULL;
    if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 20, &text, NULL) < 0)
        return -ENOENT;
    int r = -ENOENT;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(line, " - cgroup2 "))
            continue;
        char mnt[1024];
        if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) == 1) {
            snprintf(out, len, "%s", mnt);
            r = 0;
            break;
        }
    }
    free(text);
    return r;
}

int cgroupfs_self_path(char *out, size_t len)
{
    char *text = NULL;
    if (read_file_at(AT_FDCWD, "/proc/self/cgroup", 65536, &text, NULL) < 0)
        return -ENOENT;
    int r = -ENOENT;
    char *line = strstr(text, "0::");
    if (line && (line == text || line[-1] == '\n')) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        snprintf(out, len, "%s", line + 3);
        r = 0;
    }
    free(text);
    return r;
}
