/* listen_addr.c - parsing and formatting listen addresses. */
#include "config/listen_addr.h"
#include "base/parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int parse_port(const char *s, uint16_t *port)
{
    int64_t v;
    if (parse_int64(s, 1, 65535, &v) < 0)
        return -EINVAL;
    *port = (uint16_t)v;
    return 0;
}

int listen_addr_parse(const char *text, struct listen_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (!text || !*text || strlen(text) > 80)
        return -EINVAL;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(out->host))
            return -EINVAL;
        memcpy(out->host, text + 1, (size_t)(close - text - 1));
        struct in6_addr a6;
        if (inet_pton(AF_INET6, out->host, &a6) != 1)
            return -EINVAL;
        /* one spelling per address: [0::0] is [::] */
        inet_ntop(AF_INET6, &a6, out->host, sizeof(out->host));
        out->family = AF_INET6;
        return parse_port(close + 2, &out->port);
    }
    const char *colon = strrchr(text, ':');
    if (!colon) {
        out->family = AF_UNSPEC;
        return parse_port(text, &out->port);
    }
    if ((size_t)(colon - text) >= sizeof(out->host) || colon == text)
        return -EINVAL;
    memcpy(out->host, text, (size_t)(colon - text));
    struct in_addr a4;
    if (inet_pton(AF_INET, out->host, &a4) != 1)
        return -EINVAL;
    inet_ntop(AF_INET, &a4, out->host, sizeof(out->host));
    out->family = AF_INET;
    return parse_port(colon + 1, &out->port);
}

char *listen_addr_format(const struct listen_addr *a, char *out, size_t len)
{
    if (a->family == AF_INET6)
        snprintf(out, len, "[%s]:%u", a->host, a->port);
    else if (a->family == AF_INET)
        snprintf(out, len, "%s:%u", a->host, a->port);
    else
        snprintf(out, len, "%u", a->port);
    return out;
}

socklen_t listen_addr_to_sockaddr(const struct listen_addr *a, int prefer_v6,
                                  struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    int family = a->family;
    const char *host = a->host;
    if (family == AF_UNSPEC) {
        family = prefer_v6 ? AF_INET6 : AF_INET;
        host = prefer_v6 ? "::" : "0.0.0.0";
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(a->port);
        inet_pton(AF_INET6, host, &s6->sin6_addr);
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a->port);
    inet_pton(AF_INET, host, &s4->sin_addr);
    return sizeof(*s4);
}

int listen_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct listen_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        out->family = AF_INET;
        out->port = ntohs(s4->sin_port);
        inet_ntop(AF_INET, &s4->sin_addr, out->host, sizeof(out->host));
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        out->family = AF_INET6;
        out->port = ntohs(s6->sin6_port);
        inet_ntop(AF_INET6, &s6->sin6_addr, out->host, sizeof(out->host));
        return 0;
    }
    return -EAFNOSUPPORT;
}

char *listen_addr_fdname(const struct listen_addr *a, char *out, size_t len)
{
    const char *host = a->family == AF_UNSPEC ? "" : a->host;
    int n = snprintf(out, len, "%s_%s_%u", a->family == AF_INET6 ? "tcp6" : "tcp", host, a->port);
    for (int i = 0; i < n && (size_t)i < len; i++)
        if (out[i] == ':')
            out[i] = '-';
    return out;
}
