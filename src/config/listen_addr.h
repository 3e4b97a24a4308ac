/* listen_addr.h - the addresses a cluster app listens on, as written in a
 * config: "3000" (any address, family chosen when binding), "0.0.0.0:80",
 * "127.0.0.1:8080", "[::]:443", "[::1]:3000". Numeric only, no hostnames. */
#pragma once

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct listen_addr {
    int family; /* AF_INET, AF_INET6, or AF_UNSPEC for a bare port */
    char host[INET6_ADDRSTRLEN];
    uint16_t port;
};

/* Parses text into *out, with the host in its canonical spelling ([0::0]
 * becomes [::], as inet_ntop writes it). Returns 0 or -EINVAL. */
int listen_addr_parse(const char *text, struct listen_addr *out);

/* Canonical text: "3000", "127.0.0.1:8080", "[::]:443". Returns out. */
char *listen_addr_format(const struct listen_addr *a, char *out, size_t len);

/* Fills a sockaddr for a. A bare port becomes "[::]" (dual-stack) when
 * prefer_v6, else "0.0.0.0". Returns the address length. */
socklen_t listen_addr_to_sockaddr(const struct listen_addr *a, int prefer_v6,
                                  struct sockaddr_storage *ss);

/* Fills a listen_addr from a bound sockaddr. Returns 0 or -EAFNOSUPPORT. */
int listen_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct listen_addr *out);

/* The address as a LISTEN_FDNAMES entry, which may not hold ':' (systemd's
 * separator): "tcp_127.0.0.1_8080", "tcp6_--_443" (':' becomes '-'),
 * "tcp_0.0.0.0_3000". Returns out. */
char *listen_addr_fdname(const struct listen_addr *a, char *out, size_t len);
