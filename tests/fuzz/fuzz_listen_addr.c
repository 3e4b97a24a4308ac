/* fuzz_listen_addr.c - listen addresses (config/listen_addr.h): parse, then
 * format, which must parse back to the same address and format to the same
 * text (app_config stores the formatted text, the daemon parses it again),
 * never write past the buffer it is given, and agree with the sockaddr
 * conversions. The first 18 input bytes are also read as a port and an
 * IPv4/IPv6 address that a bound socket could report (from_sockaddr).
 * Input: the address text (up to its first NUL). */
#include "fuzz.h"

#include "config/listen_addr.h"

#include <arpa/inet.h>
#include <errno.h>

static void check_same(const char *what, const struct listen_addr *a, const struct listen_addr *b)
{
    FUZZ_CHECK(a->family == b->family && a->port == b->port && strcmp(a->host, b->host) == 0,
               "%s: family %d port %u host '%s' became family %d port %u host '%s'", what,
               a->family, a->port, a->host, b->family, b->port, b->host);
}

/* Whether two host texts of family are the same binary address. */
static int same_binary(int family, const char *x, const char *y)
{
    unsigned char bx[16], by[16];
    if (inet_pton(family, x, bx) != 1 || inet_pton(family, y, by) != 1)
        return 0;
    return memcmp(bx, by, family == AF_INET6 ? 16 : 4) == 0;
}

static void check_format_buffers(const struct listen_addr *a, const char *canon)
{
    size_t full = strlen(canon) + 1;
    for (size_t len = 1; len <= full; len++) {
        char *buf = malloc(len);
        FUZZ_CHECK(buf, "out of memory");
        FUZZ_CHECK(listen_addr_format(a, buf, len) == buf, "format returns another pointer");
        size_t n = strnlen(buf, len);
        FUZZ_CHECK(n == len - 1 && memcmp(buf, canon, n) == 0,
                   "format into %zu bytes gave '%.*s' (full text '%s')", len, (int)n, buf, canon);
        free(buf);
    }
}

static void check_sockaddr(const struct listen_addr *a)
{
    for (int prefer_v6 = 0; prefer_v6 < 2; prefer_v6++) {
        struct sockaddr_storage ss;
        struct listen_addr b;
        socklen_t len = listen_addr_to_sockaddr(a, prefer_v6, &ss);
        FUZZ_CHECK(listen_addr_from_sockaddr((struct sockaddr *)&ss, len, &b) == 0,
                   "to_sockaddr gave family %d", ss.ss_family);
        int family = a->family != AF_UNSPEC ? a->family : prefer_v6 ? AF_INET6 : AF_INET;
        const char *host = a->family != AF_UNSPEC ? a->host : prefer_v6 ? "::" : "0.0.0.0";
        FUZZ_CHECK(b.family == family && b.port == a->port && same_binary(family, host, b.host),
                   "'%s' port %u through a sockaddr is '%s' port %u", host, a->port, b.host,
                   b.port);
    }
}

static void check_text(const char *text)
{
    struct listen_addr a, b;
    char canon[128], again[128];
    int r = listen_addr_parse(text, &a);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL, "'%s': returned %d", text, r);
        return;
    }
    FUZZ_CHECK(a.port >= 1, "'%s': port 0 accepted", text);
    FUZZ_CHECK(memchr(a.host, '\0', sizeof(a.host)), "'%s': host not terminated", text);
    if (a.family == AF_UNSPEC)
        FUZZ_CHECK(a.host[0] == '\0', "'%s': a bare port with host '%s'", text, a.host);
    else
        FUZZ_CHECK((a.family == AF_INET || a.family == AF_INET6) &&
                       same_binary(a.family, a.host, a.host),
                   "'%s': family %d host '%s'", text, a.family, a.host);
    listen_addr_format(&a, canon, sizeof(canon));
    FUZZ_CHECK(strlen(canon) < sizeof(canon) - 1, "'%s': formatted text truncated", text);
    FUZZ_CHECK(listen_addr_parse(canon, &b) == 0, "'%s' formats to '%s', which does not parse",
               text, canon);
    check_same(canon, &a, &b);
    listen_addr_format(&b, again, sizeof(again));
    FUZZ_CHECK(strcmp(canon, again) == 0, "'%s' formats to '%s', then to '%s'", text, canon, again);
    check_format_buffers(&a, canon);
    check_sockaddr(&a);
}

/* An address a bound socket could report, from raw bytes. */
static void check_raw(const uint8_t *data, size_t size)
{
    if (size < 18)
        return;
    uint16_t port = (uint16_t)(data[0] << 8 | data[1]);
    struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(port)};
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    memcpy(&s4.sin_addr, data + 2, 4);
    memcpy(&s6.sin6_addr, data + 2, 16);
    const struct sockaddr *sas[] = {(struct sockaddr *)&s4, (struct sockaddr *)&s6};
    const socklen_t lens[] = {sizeof(s4), sizeof(s6)};
    for (int i = 0; i < 2; i++) {
        struct listen_addr a, b;
        char text[128];
        FUZZ_CHECK(listen_addr_from_sockaddr(sas[i], lens[i] - 1, &a) == -EAFNOSUPPORT,
                   "a short sockaddr accepted");
        FUZZ_CHECK(listen_addr_from_sockaddr(sas[i], lens[i], &a) == 0, "sockaddr refused");
        listen_addr_format(&a, text, sizeof(text));
        if (port == 0)
            continue; /* a bound socket has a port; a config never asks for 0 */
        FUZZ_CHECK(listen_addr_parse(text, &b) == 0, "bound address '%s' does not parse", text);
        check_same(text, &a, &b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    size_t len;
    fuzz_split(data, size, &len);
    char *text = fuzz_strndup(data, len);
    check_text(text);
    free(text);
    check_raw(data, size);
    return 0;
}
