/* app_env.c - the environment of one app incarnation. */
#include "sup/app_env.h"
#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTEN_PID_SLOT "LISTEN_PID=00000000000000000000"

static int overridden(const char *entry)
{
    static const char *const keys[] = {"LISTEN_FDS=",
                                       "LISTEN_PID=",
                                       "LISTEN_FDNAMES=",
                                       "NOTIFY_SOCKET=",
                                       "DROVER_BROKER=",
                                       "NODE_CHANNEL_FD=",
                                       "NODE_CHANNEL_SERIALIZATION_MODE="};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strncmp(entry, keys[i], strlen(keys[i])) == 0)
            return 1;
    return 0;
}

static const char *find(char *const *base, const char *key)
{
    size_t n = strlen(key);
    for (char *const *e = base; e && *e; e++)
        if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

char **app_env_build(char *const *base, const struct app_env_extras *x, char **listen_pid_slot)
{
    struct strbuf text = STRBUF_INIT;
    size_t count = 0;
    int r = 0;
    const char *old_preload = find(base, "LD_PRELOAD");

    /* entries are NUL-separated in one buffer, indexed afterwards */
    for (char *const *e = base; e && *e; e++) {
        if (overridden(*e) || (x->preload && strncmp(*e, "LD_PRELOAD=", 11) == 0))
            continue;
        r |= strbuf_append(&text, *e, strlen(*e) + 1);
        count++;
    }
    if (x->n_listen_fds > 0) {
        r |= strbuf_printf(&text, "LISTEN_FDS=%d", x->n_listen_fds);
        r |= strbuf_putc(&text, '\0');
        r |= strbuf_append(&text, LISTEN_PID_SLOT, sizeof(LISTEN_PID_SLOT));
        count += 2;
        if (x->listen_fdnames) {
            r |= strbuf_printf(&text, "LISTEN_FDNAMES=%s", x->listen_fdnames);
            r |= strbuf_putc(&text, '\0');
            count++;
        }
    }
    if (x->notify_socket) {
        r |= strbuf_printf(&text, "NOTIFY_SOCKET=%s", x->notify_socket);
        r |= strbuf_putc(&text, '\0');
        count++;
    }
    if (x->broker) {
        r |= strbuf_printf(&text, "DROVER_BROKER=%s", x->broker);
        r |= strbuf_putc(&text, '\0');
        count++;
    }
    if (x->preload) {
        if (old_preload && *old_preload)
            r |= strbuf_printf(&text, "LD_PRELOAD=%s:%s", x->preload, old_preload);
        else
            r |= strbuf_printf(&text, "LD_PRELOAD=%s", x->preload);
        r |= strbuf_putc(&text, '\0');
        count++;
    }
    if (x->node_channel_fd >= 0) {
        r |= strbuf_printf(&text, "NODE_CHANNEL_FD=%d", x->node_channel_fd);
        r |= strbuf_putc(&text, '\0');
        r |= strbuf_puts(&text, "NODE_CHANNEL_SERIALIZATION_MODE=json");
        r |= strbuf_putc(&text, '\0');
        count += 2;
    }
    if (r) {
        strbuf_free(&text);
        return NULL;
    }
    size_t ptrs = (count + 1) * sizeof(char *);
    char **envp = malloc(ptrs + text.len);
    if (!envp) {
        strbuf_free(&text);
        return NULL;
    }
    char *block = (char *)envp + ptrs;
    memcpy(block, text.buf, text.len);
    strbuf_free(&text);
    *listen_pid_slot = NULL;
    char *p = block;
    for (size_t i = 0; i < count; i++) {
        envp[i] = p;
        if (strncmp(p, "LISTEN_PID=", 11) == 0)
            *listen_pid_slot = p;
        p += strlen(p) + 1;
    }
    envp[count] = NULL;
    return envp;
}
