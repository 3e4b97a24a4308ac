/* macros.h - small language helpers shared by every drover binary.
 *
 * Cleanup attributes follow systemd's style: a variable declared with
 * _cleanup_free_ or _cleanup_close_ is released when it goes out of scope;
 * TAKE_PTR/TAKE_FD hand ownership to the caller and disarm the cleanup.
 */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define UNUSED __attribute__((unused))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
/* For functions that take a va_list: the format is checked at their callers. */
#define VPRINTF_LIKE(f) __attribute__((format(printf, f, 0)))
#define NORETURN __attribute__((noreturn))

static inline void freep(void *p)
{
    free(*(void **)p);
}

static inline void closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Returns the value of *p and sets *p to NULL / -1, so a cleanup no longer owns it. */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _tp = (p);                                                                   \
        (p) = NULL;                                                                                \
        _tp;                                                                                       \
    })
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _tf = (fd);                                                                            \
        (fd) = -1;                                                                                 \
        _tf;                                                                                       \
    })

/* Negative errno of the last failed libc call, never 0 (EIO if errno was not set). */
static inline int neg_errno(void)
{
    return errno > 0 ? -errno : -EIO;
}
