/* cmd_export.c - `drover export nginx|haproxy <app> [--hosts h1,h2,...]
 * [--agent-port N] [--check-path /path] [--keepalive N]`: the balancer's block for an app
 * that runs on several hosts, each host running its own drover with the
 * same app (one address
 * per host and port: drover spreads the connections among the instances
 * of a host). The ports are the app's `listen` addresses, else its `port`
 * or `PORT`; the hosts default to the listen address itself (127.0.0.1 for
 * a wildcard). docs/multi-host.md says how to use the output. */
#include "base/parse.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/flag_value.h"
#include "config/listen_addr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_MAX_PORTS 16

struct export_target {
    char host[INET6_ADDRSTRLEN + 2]; /* as written in the config: [v6] bracketed */
    unsigned port;
};

/* An identifier for the balancer's config: letters, digits, '-', '_', '.'. */
static void ident(const char *in, char *out, size_t len)
{
    size_t n = 0;
    for (; *in && n + 1 < len; in++)
        out[n++] = (isalnum((unsigned char)*in) || strchr("-_.", *in)) ? *in : '_';
    out[n] = '\0';
}

/* The app's ports, with the host each listens on ("" for every address). */
static int app_ports(json_t *config, struct listen_addr *out, size_t max)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(json_object_get(config, "listen"), i, v)
    {
        if (n < max && json_is_string(v) && listen_addr_parse(json_string_value(v), &out[n]) == 0)
            n++;
    }
    if (n > 0)
        return (int)n;
    json_t *port = json_object_get(config, "port");
    if (!port)
        port = json_object_get(json_object_get(config, "env"), "PORT");
    char text[32];
    if (json_is_integer(port))
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(port));
    else
        snprintf(text, sizeof(text), "%s", json_string_value(port) ?: "");
    return listen_addr_parse(text, &out[0]) == 0 ? 1 : 0;
}

static int is_wildcard(const struct listen_addr *a)
{
    return a->family == AF_UNSPEC || !strcmp(a->host, "0.0.0.0") || !strcmp(a->host, "::");
}

/* Every host × port. Returns the count (targets allocated) or -1. */
static int build_targets(const char *hosts, const struct listen_addr *ports, int n_ports,
                         struct export_target **out)
{
    size_t n_hosts = 1;
    for (const char *p = hosts; p && *p; p++)
        n_hosts += *p == ',';
    struct export_target *t = calloc(n_hosts * (size_t)n_ports, sizeof(*t));
    if (!t)
        return -1;
    int n = 0;
    for (int k = 0; k < n_ports; k++) {
        const char *p = hosts;
        do {
            size_t len = p ? strcspn(p, ",") : 0;
            char host[INET6_ADDRSTRLEN + 2] = "";
            if (p && len > 0 && len < sizeof(host)) {
                memcpy(host, p, len);
            } else if (!p) {
                const struct listen_addr *a = &ports[k];
                snprintf(host, sizeof(host),
                         a->family == AF_INET6 && !is_wildcard(a) ? "[%s]" : "%s",
                         is_wildcard(a) ? "127.0.0.1" : a->host);
            }
            if (host[0]) {
                if (strchr(host, ':') && host[0] != '[')
                    snprintf(t[n].host, sizeof(t[n].host), "[%s]", host);
                else
                    snprintf(t[n].host, sizeof(t[n].host), "%s", host);
                t[n++].port = ports[k].port;
            }
            p = p ? (p[len] ? p + len + 1 : NULL) : NULL;
        } while (p);
    }
    *out = t;
    return n;
}

/* keepalive: the size of nginx's pool of idle upstream connections, 0 for
 * none. Off by default: a drain closes a worker's idle keep-alive
 * connections, and nginx, which reuses one at that moment, retries the
 * request elsewhere but counts the close against max_fails: a rolling
 * reload of every host within fail_timeout then leaves no live server
 * (502). Measured in tests/containers/test_multihost_netns.py. */
static void print_nginx(const char *app, const struct export_target *t, int n, int keepalive)
{
    char name[128];
    ident(app, name, sizeof(name));
    printf("# drover export nginx %s: %d server(s), one per host and port; drover spreads each\n"
           "# host's connections over its instances. nginx has no active health check: a\n"
           "# server that refuses or times out is skipped for fail_timeout and the request\n"
           "# is retried on the next one. To drain a host, export without it and\n"
           "# `nginx -s reload` (docs/multi-host.md).\n",
           app, n);
    printf("upstream %s {\n    least_conn;\n", name);
    for (int i = 0; i < n; i++)
        printf("    server %s:%u max_fails=1 fail_timeout=5s;\n", t[i].host, t[i].port);
    if (keepalive)
        printf("    # a drain closes idle pooled connections: nginx retries, but counts\n"
               "    # each as a failure (max_fails); reload hosts more than fail_timeout apart\n"
               "    keepalive %d;\n",
               keepalive);
    printf("}\n# in a server block:\n"
           "#     location / {\n"
           "#         proxy_pass http://%s;\n",
           name);
    if (keepalive)
        printf("#         proxy_http_version 1.1;\n"
               "#         proxy_set_header Connection \"\";\n");
    printf("#         proxy_connect_timeout 1s;\n"
           "#         proxy_next_upstream error timeout;\n"
           "#     }\n");
}

static void print_haproxy(const char *app, const struct export_target *t, int n, int agent_port,
                          const char *check_path)
{
    char name[128], server[128];
    ident(app, name, sizeof(name));
    printf("# drover export haproxy %s: %d server(s), one per host and port; drover spreads\n"
           "# each host's connections over its instances. Health: %s%s.\n",
           app, n, check_path ? "an HTTP check of the app" : "a TCP connect check",
           agent_port ? ", and drover-runtime's agent (--agent), which\n"
                        "# answers \"drain\" for a draining app (`drover drain`, SIGTERM)"
                      : "");
    printf("backend %s\n"
           "    balance leastconn\n"
           "    option redispatch\n"
           "    retries 3\n"
           "    retry-on conn-failure empty-response\n"
           "    timeout connect 1s\n",
           name);
    if (check_path)
        printf("    option httpchk GET %s\n"
               "    http-check expect status 200\n",
               check_path);
    printf("    default-server check inter 1s fall 2 rise 2");
    if (agent_port)
        printf(" agent-check agent-port %d agent-inter 1s agent-send \"%s\\n\"", agent_port, app);
    printf("\n");
    for (int i = 0; i < n; i++) {
        char hp[INET6_ADDRSTRLEN + 16];
        snprintf(hp, sizeof(hp), "%s-%u", t[i].host, t[i].port);
        ident(hp, server, sizeof(server));
        printf("    server %s %s:%u\n", server, t[i].host, t[i].port);
    }
}

int cmd_export(struct cli *c)
{
    const char *kind = NULL, *app = NULL, *hosts = NULL, *check_path = NULL;
    int64_t agent_port = 0, keepalive = 0;
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i], *v = NULL;
        int t;
        if ((t = flag_value(c->argc, c->argv, &i, "--hosts", &hosts)) != 0) {
            if (t < 0 || !*hosts)
                return cli_usage("--hosts needs a list: h1,h2,...");
        } else if ((t = flag_value(c->argc, c->argv, &i, "--agent-port", &v)) != 0) {
            if (t < 0 || parse_int64(v, 1, 65535, &agent_port) < 0)
                return cli_usage("--agent-port needs a port");
        } else if ((t = flag_value(c->argc, c->argv, &i, "--keepalive", &v)) != 0) {
            if (t < 0 || parse_int64(v, 0, 10000, &keepalive) < 0)
                return cli_usage("--keepalive needs a number of connections (0-10000)");
        } else if ((t = flag_value(c->argc, c->argv, &i, "--check-path", &check_path)) != 0) {
            if (t < 0 || check_path[0] != '/' || strpbrk(check_path, " \t\r\n\"#"))
                return cli_usage("--check-path needs an HTTP path: /healthz");
        } else if (a[0] == '-' && a[1]) {
            return cli_usage("unknown option '%s' for export", a);
        } else if (!kind) {
            kind = a;
        } else if (!app) {
            app = a;
        } else {
            return cli_usage("export takes one app");
        }
    }
    if (!kind || !app || (strcmp(kind, "nginx") && strcmp(kind, "haproxy")))
        return cli_usage("usage: drover export nginx|haproxy <app> [--hosts h1,h2,...] "
                         "[--agent-port N] [--check-path /path] [--keepalive N]");
    json_t *reply = client_call(c, json_pack("{s:s}", "cmd", "list"));
    if (!reply)
        return 1;
    json_t *config = NULL, *p;
    size_t i;
    json_array_foreach(json_object_get(reply, "processes"), i, p)
    {
        if (!config && !strcmp(json_string_value(json_object_get(p, "name")) ?: "", app))
            config = json_object_get(p, "config");
    }
    struct listen_addr ports[EXPORT_MAX_PORTS];
    int n_ports = config ? app_ports(config, ports, EXPORT_MAX_PORTS) : 0;
    int r = 0;
    struct export_target *t = NULL;
    int n = 0;
    if (!config)
        r = cli_error("process or namespace '%s' not found", app);
    else if (n_ports == 0)
        r = cli_error("%s has no listen address, port or PORT: nothing to balance", app);
    else if ((n = build_targets(hosts, ports, n_ports, &t)) <= 0)
        r = cli_error("no host to export");
    for (int k = 0; r == 0 && hosts && k < n_ports; k++)
        if (!is_wildcard(&ports[k]))
            fprintf(stderr,
                    "drover: warning: %s listens on %s only: other hosts reach it only if "
                    "each host's address is that one\n",
                    app, ports[k].host);
    if (r == 0 && !strcmp(kind, "nginx"))
        print_nginx(app, t, n, (int)keepalive);
    else if (r == 0)
        print_haproxy(app, t, n, (int)agent_port, check_path);
    free(t);
    json_decref(reply);
    return r;
}
