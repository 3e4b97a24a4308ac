/* listeners.c - the listening sockets of an app. */
#include "daemon/instances/listeners.h"
#include "base/fdutil.h"
#include "base/log.h"
#include "base/macros.h"
#include "config/app_config.h"
#include "daemon/instances/reuseport_prog.h"
#include "daemon/instances/slot_select.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert(CFG_LEAST_CONN_MAX_INSTANCES == LC_MAX_SLOTS, "least_conn weighs every slot");

static int backlog(void)
{
    static int value;
    if (!value) {
        char *text = NULL;
        value = 511;
        if (read_file_at(AT_FDCWD, "/proc/sys/net/core/somaxconn", 64, &text, NULL) == 0) {
            int v = atoi(text);
            if (v > 0)
                value = v;
            free(text);
        }
    }
    return value;
}

/* One SO_REUSEPORT socket per instance slot (balancing slots, sticky or
 * least_conn). */
static int is_slots(const struct app *app)
{
    return app->cfg.balancing == BALANCE_SLOTS || app->cfg.balancing == BALANCE_STICKY ||
           app->cfg.balancing == BALANCE_LEAST_CONN;
}

static struct listener_set *set_of(struct app *app)
{
    if (!app->listeners)
        app->listeners = calloc(1, sizeof(*app->listeners));
    return app->listeners;
}

static int same_addr(const struct listen_addr *a, const struct listen_addr *b)
{
    return a->family == b->family && a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* An IPv6 socket on [::] without IPV6_V6ONLY takes IPv4 too: no IPv4
 * socket can listen on its port beside it (the kernel says EADDRINUSE). An
 * IPv4 socket and a v6only [::] (asyncio, aiohttp, Tornado with host=None)
 * or an IPv6 socket on a specific address live side by side. */
static int dual_stack_conflict(const struct listen_addr *a, int a_v6only,
                               const struct listen_addr *b, int b_v6only)
{
    if (a->port != b->port || a->family == b->family)
        return 0;
    const struct listen_addr *v6 = a->family == AF_INET6 ? a : b;
    int v6only = a->family == AF_INET6 ? a_v6only : b_v6only;
    return !v6only && strcmp(v6->host, "::") == 0;
}

/* The same socket: address, and for IPv6 the same IPV6_V6ONLY. */
static int same_socket(const struct listener *l, const struct listen_addr *a, int v6only)
{
    return same_addr(&l->addr, a) && (a->family != AF_INET6 || l->v6only == v6only);
}

static int bind_socket(const struct listen_addr *a, int v6only, int reuseport, char *err,
                       size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len = listen_addr_to_sockaddr(a, 1, &ss);
    char text[96];
    listen_addr_format(a, text, sizeof(text));
    int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "listen %s: %s", text, strerror(errno));
        return neg_errno();
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (a->family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog()) < 0) {
        int r = neg_errno();
        snprintf(err, errlen, "listen %s: %s", text, strerror(-r));
        close(fd);
        return r;
    }
    return fd;
}

static int add(struct app *app, const struct listen_addr *a, int v6only, int slot, int fd)
{
    struct listener_set *s = set_of(app);
    if (!s || s->n >= LISTENERS_MAX_TOTAL)
        return -E2BIG;
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 4;
        struct listener *ni = realloc(s->items, ncap * sizeof(*ni));
        if (!ni)
            return -ENOMEM;
        s->items = ni;
        s->cap = ncap;
    }
    s->items[s->n++] = (struct listener){*a, v6only, slot, fd};
    return 0;
}

static int lc_ensure(struct app *app, struct listener_set *s, int quiet);

/* The kernel side of l's address group, made on first use. */
static struct slot_group *group_of(struct app *app, const struct listener *l, int *r)
{
    struct listener_set *s = app->listeners;
    for (size_t i = 0; i < s->n_lc_groups; i++)
        if (same_socket(l, &s->lc_groups[i].addr, s->lc_groups[i].v6only))
            return &s->lc_groups[i].g;
    if (s->n_lc_groups >= LISTENERS_MAX_ADDRS) {
        *r = -E2BIG;
        return NULL;
    }
    struct lc_addr_group *ag = &s->lc_groups[s->n_lc_groups];
    enum slot_select mode =
        app->cfg.balancing == BALANCE_STICKY ? SELECT_STICKY : SELECT_LEAST_CONN;
    *r = slot_group_open(&ag->g, mode, s->lc_fd);
    if (*r < 0)
        return NULL;
    ag->addr = l->addr;
    ag->v6only = l->v6only;
    s->n_lc_groups++;
    return &ag->g;
}

/* The slot sockets of l's address in their group's map, and the eBPF
 * program on the group. Only once the counts map is there (least_conn:
 * made for the first supervisor, or taken back from the running ones by a
 * new daemon; until then a group keeps the program it has). Returns 0 or
 * a negative errno. */
static int steer_ebpf(struct app *app, const struct listener *l)
{
    struct listener_set *s = app->listeners;
    if (!s->lc || s->lc_refused)
        return -EPERM;
    int r = 0;
    struct slot_group *g = group_of(app, l, &r);
    for (int k = 0; g && r == 0 && k < LC_MAX_SLOTS; k++) {
        int fd = -1;
        for (size_t j = 0; j < s->n && fd < 0; j++)
            if (s->items[j].slot == k && same_socket(&s->items[j], &l->addr, l->v6only))
                fd = s->items[j].fd;
        r = slot_group_set(g, k, fd);
    }
    if (g && r == 0)
        r = slot_group_attach(g, l->fd);
    if (r < 0 && !s->lc_refused) {
        s->lc_refused = 1;
        log_warn("%s: cannot attach the %s program: %s", app->name,
                 app->cfg.balancing == BALANCE_STICKY ? "sticky" : "least_conn", strerror(-r));
    }
    return r;
}

/* Which slots take connections: those with a socket. */
static void mark_present(struct listener_set *s)
{
    if (!s->lc)
        return;
    uint64_t present[LC_MAX_SLOTS] = {0};
    for (size_t j = 0; j < s->n; j++)
        if (s->items[j].slot >= 0 && s->items[j].slot < LC_MAX_SLOTS)
            present[s->items[j].slot] = 1;
    for (int k = 0; k < LC_MAX_SLOTS; k++)
        __atomic_store_n(&s->lc->present[k], present[k], __ATOMIC_RELAXED);
}

/* The program of the reuseport group of every address of a slots, sticky
 * or least_conn app (reuseport_prog.h, slot_select.h): least_conn's, and
 * sticky's eBPF one where the kernel allows, else sticky's classic one
 * sized to the app's slot sockets there; slots the migrate program (once:
 * without the capabilities, it is not tried again). Called whenever the
 * app's slot sockets change. */
static void steer(struct app *app)
{
    struct listener_set *s = app->listeners;
    if (!s || !is_slots(app))
        return;
    mark_present(s); /* slots going away first: nothing new is sent there */
    for (size_t i = 0; i < s->n; i++) {
        const struct listener *l = &s->items[i];
        int first = 1;
        unsigned n = 0;
        for (size_t j = 0; j < s->n; j++) {
            if (s->items[j].slot < 0 || !same_socket(&s->items[j], &l->addr, l->v6only))
                continue;
            first &= j >= i;
            n++;
        }
        if (!first || l->slot < 0)
            continue;
        if (app->cfg.balancing == BALANCE_STICKY) {
            /* a root daemon: rendezvous hashing with migration; otherwise
             * the classic program, which any user may attach */
            if (n <= LC_MAX_SLOTS && lc_ensure(app, s, 1) == 0 && steer_ebpf(app, l) == 0)
                continue;
            int r = reuseport_attach_sticky(l->fd, n);
            if (r < 0)
                log_warn_errno(r, "%s: cannot make its port sticky", app->name);
        } else if (app->cfg.balancing == BALANCE_LEAST_CONN) {
            steer_ebpf(app, l);
        } else if (!s->migrate_refused) {
            int r = reuseport_attach_migrate(l->fd);
            if (r < 0) {
                s->migrate_refused = 1;
                log_debug("%s: no migrate program (%s): net.ipv4.tcp_migrate_req decides",
                          app->name, strerror(-r));
            }
        }
    }
}

/* A config address: a bare port means the dual-stack wildcard [::]. */
static void concrete(const struct listen_addr *in, struct listen_addr *out, int *v6only)
{
    *out = *in;
    *v6only = 0;
    if (in->family == AF_UNSPEC) {
        out->family = AF_INET6;
        snprintf(out->host, sizeof(out->host), "::");
    }
}

static size_t count_addrs(const struct listener_set *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            if (same_addr(&s->items[i].addr, &s->items[j].addr))
                seen = 1;
        n += !seen;
    }
    return n;
}

/* Looks for (addr, v6only) among the sockets of the daemon's other apps.
 * Returns a listener of slot -1 (one socket: share it), else any listener
 * of theirs (an SO_REUSEPORT group of per-slot sockets: join it), else
 * NULL. A conflicting dual-stack socket goes to *conflict. */
static const struct listener *other_apps(const struct daemon *d, const struct app *app,
                                         const struct listen_addr *addr, int v6only,
                                         const struct listener **conflict)
{
    const struct listener *group = NULL;
    *conflict = NULL;
    for (size_t k = 0; k < d->reg.n_apps; k++) {
        const struct app *other = d->reg.apps[k];
        if (other == app || !other->listeners)
            continue;
        for (size_t i = 0; i < other->listeners->n; i++) {
            const struct listener *l = &other->listeners->items[i];
            if (same_socket(l, addr, v6only)) {
                if (l->slot == -1)
                    return l;
                group = l;
            } else if (dual_stack_conflict(&l->addr, l->v6only, addr, v6only)) {
                *conflict = l;
            }
        }
    }
    return group;
}

static int refuse_dual_stack(const struct listener *l, const struct listen_addr *addr, char *err,
                             size_t errlen)
{
    char have[96], want[96];
    listen_addr_format(&l->addr, have, sizeof(have));
    listen_addr_format(addr, want, sizeof(want));
    const char *dual = l->addr.family == AF_INET6 ? have : want;
    const char *v4 = l->addr.family == AF_INET6 ? want : have;
    snprintf(err, errlen,
             "%s cannot listen beside the dual-stack %s, which takes IPv4 too (the kernel "
             "refuses it without drover as well): bind only one of them, or set IPV6_V6ONLY on "
             "the IPv6 socket",
             v4, dual);
    return -EADDRINUSE;
}

int listeners_get(struct daemon *d, struct app *app, const struct listen_addr *addr, int v6only,
                  int slot, int *fd, char *err, size_t errlen)
{
    int slots = is_slots(app);
    int want_slot = slots ? slot : -1;
    struct listener_set *s = set_of(app);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->n; i++) {
        struct listener *l = &s->items[i];
        if (l->slot == want_slot && same_socket(l, addr, v6only)) {
            *fd = l->fd;
            return 0;
        }
    }
    /* the port taken by a dual-stack [::] in the other family: handing that
     * socket over would give the app addresses of a family it does not
     * expect (CPython garbles them), and binding beside it fails */
    for (size_t i = 0; i < s->n; i++)
        if (dual_stack_conflict(&s->items[i].addr, s->items[i].v6only, addr, v6only))
            return refuse_dual_stack(&s->items[i], addr, err, errlen);
    const struct listener *conflict;
    const struct listener *theirs = other_apps(d, app, addr, v6only, &conflict);
    if (!theirs && conflict)
        return refuse_dual_stack(conflict, addr, err, errlen);
    int known = 0;
    for (size_t i = 0; i < s->n; i++)
        if (same_addr(&s->items[i].addr, addr))
            known = 1;
    if (!known && count_addrs(s) >= LISTENERS_MAX_ADDRS) {
        snprintf(err, errlen, "an app may listen on at most %d addresses", LISTENERS_MAX_ADDRS);
        return -E2BIG;
    }
    /* another app listens there already (PM2: every app's workers share
     * the port): one socket is shared (a copy of it, so it closes with its
     * last app); per-slot SO_REUSEPORT sockets are joined by one more */
    int nfd;
    if (theirs && theirs->slot == -1) {
        nfd = fcntl(theirs->fd, F_DUPFD_CLOEXEC, 3);
        if (nfd < 0) {
            int e = neg_errno();
            snprintf(err, errlen, "cannot share the socket: %s", strerror(-e));
            return e;
        }
    } else {
        nfd = bind_socket(addr, v6only, slots || theirs, err, errlen);
        if (nfd < 0)
            return nfd;
    }
    int r = add(app, addr, v6only, want_slot, nfd);
    if (r < 0) {
        close(nfd);
        snprintf(err, errlen, "too many sockets for one app");
        return r;
    }
    steer(app);
    *fd = nfd;
    return 1;
}

/* True when the "listen" option also has an IPv4 address on port: its
 * [::] is then IPv6 only, as the two could not listen side by side. */
static int listen_has_ipv4(const json_t *listen, uint16_t port)
{
    size_t i;
    json_t *v;
    json_array_foreach(listen, i, v)
    {
        struct listen_addr a;
        if (listen_addr_parse(json_string_value(v), &a) == 0 && a.family == AF_INET &&
            a.port == port)
            return 1;
    }
    return 0;
}

/* Binds the configured addresses an instance in slot needs. */
static int prepare_slot(struct daemon *d, struct app *app, int slot, char *err, size_t errlen)
{
    size_t i;
    json_t *v;
    json_array_foreach(app->cfg.listen, i, v)
    {
        struct listen_addr parsed, a;
        int v6only, fd;
        if (listen_addr_parse(json_string_value(v), &parsed) < 0)
            continue;
        concrete(&parsed, &a, &v6only);
        if (a.family == AF_INET6 && !strcmp(a.host, "::") &&
            listen_has_ipv4(app->cfg.listen, a.port))
            v6only = 1;
        int r = listeners_get(d, app, &a, v6only, slot, &fd, err, errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

int listeners_prebind(struct daemon *d, struct app *app, int n_slots, char *err, size_t errlen)
{
    int last = is_slots(app) ? n_slots : 1;
    for (int slot = 0; slot < last; slot++) {
        int r = prepare_slot(d, app, slot, err, errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

int listeners_prepare(struct daemon *d, struct app *app, int slot, char *err, size_t errlen)
{
    return prepare_slot(d, app, is_slots(app) ? slot : 0, err, errlen);
}

void listeners_release_idle(const struct daemon *d, struct app *app)
{
    for (size_t i = 0; i < d->reg.n_insts; i++)
        if (d->reg.insts[i]->app == app && d->reg.insts[i]->want_running)
            return;
    listeners_close(app, -2);
}

int listeners_note_refusal(struct app *app, const char *err)
{
    struct listener_set *s = set_of(app);
    if (!s || strncmp(s->last_refusal, err, sizeof(s->last_refusal) - 1) == 0)
        return 0;
    snprintf(s->last_refusal, sizeof(s->last_refusal), "%s", err);
    return 1;
}

int listeners_for_slot(const struct app *app, int slot, int *fds, int max, char *names,
                       size_t names_len)
{
    int n = 0;
    size_t used = 0;
    if (names_len)
        names[0] = '\0';
    if (!app->listeners)
        return 0;
    for (size_t i = 0; i < app->listeners->n && n < max; i++) {
        const struct listener *l = &app->listeners->items[i];
        if (l->slot != -1 && l->slot != slot)
            continue;
        fds[n++] = l->fd;
        char text[96];
        listen_addr_fdname(&l->addr, text, sizeof(text));
        int w = snprintf(names + used, names_len - used, "%s%s", used ? ":" : "", text);
        if (w > 0 && used + (size_t)w < names_len)
            used += (size_t)w;
    }
    return n;
}

void listeners_adopt(struct app *app, int fd, int slot)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct listen_addr a;
    int v6only = 0;
    socklen_t olen = sizeof(v6only);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
        listen_addr_from_sockaddr((struct sockaddr *)&ss, len, &a) < 0) {
        close(fd);
        return;
    }
    if (a.family == AF_INET6)
        getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
    int want_slot = is_slots(app) ? slot : -1;
    struct listener_set *s = set_of(app);
    for (size_t i = 0; s && i < s->n; i++) {
        if (s->items[i].slot == want_slot && same_addr(&s->items[i].addr, &a)) {
            close(fd); /* another reference to a socket we hold */
            return;
        }
    }
    if (add(app, &a, v6only, want_slot, fd) < 0) {
        close(fd);
        return;
    }
    steer(app); /* the group's program sees every socket it has again */
}

void listeners_close(struct app *app, int slot)
{
    struct listener_set *s = app->listeners;
    if (!s)
        return;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (slot == -2 || s->items[i].slot == slot)
            close(s->items[i].fd);
        else
            s->items[k++] = s->items[i];
    }
    s->n = k;
    steer(app);
    if (slot == -2) {
        lc_counts_unmap(s->lc);
        if (s->lc)
            close(s->lc_fd);
        for (size_t i = 0; i < s->n_lc_groups; i++)
            slot_group_close(&s->lc_groups[i].g);
        free(s->items);
        free(s);
        app->listeners = NULL;
    }
}

/* The counts map, made on first use. least_conn without the capabilities:
 * the kernel's hash spreads (like slots), said once; sticky (quiet) falls
 * back to its classic program. */
static int lc_ensure(struct app *app, struct listener_set *s, int quiet)
{
    if (s->lc)
        return 0;
    if (s->lc_refused)
        return -EPERM;
    int r = slot_select_map_create(&s->lc_fd, &s->lc);
    if (r < 0) {
        s->lc_refused = 1;
        if (quiet)
            log_debug("%s: no eBPF (%s): the classic sticky program, no migration on scale "
                      "down unless net.ipv4.tcp_migrate_req=1",
                      app->name, strerror(-r));
        else
            log_warn("%s: balancing least_conn needs a daemon with CAP_BPF and CAP_NET_ADMIN "
                     "(root): %s; the kernel's hash spreads connections instead (as with slots)",
                     app->name, strerror(-r));
    }
    return r;
}

int listeners_lc_map(struct app *app)
{
    struct listener_set *s = app->cfg.balancing == BALANCE_LEAST_CONN ? set_of(app) : NULL;
    if (!s)
        return -1;
    int made = !s->lc;
    if (lc_ensure(app, s, 0) < 0)
        return -1;
    if (made)
        steer(app); /* sockets adopted from supervisors get the program too */
    return s->lc_fd;
}

int listeners_lc_adopt(struct app *app, int fd)
{
    struct listener_set *s = app->cfg.balancing == BALANCE_LEAST_CONN ? set_of(app) : NULL;
    if (!s || s->lc)
        return -EEXIST; /* one map per app: the first one adopted */
    int r = lc_counts_map(fd, &s->lc);
    if (r < 0)
        return r;
    s->lc_fd = fd;
    s->lc_refused = 0;
    steer(app);
    return 0;
}

int listeners_any(const struct app *app)
{
    return app->listeners && app->listeners->n > 0;
}
