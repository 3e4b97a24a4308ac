/* adopt.c - re-adopting running supervisors after a daemon restart. */
#include "daemon/adopt.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/paths.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/unixsock.h"
#include "config/app_config.h"
#include "daemon/inst_spec.h"
#include "daemon/lifecycle.h"
#include "daemon/listeners.h"
#include "daemon/persist.h"
#include "daemon/registry.h"
#include "daemon/suplink.h"
#include "proto/frame.h"
#include "proto/kv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HELLO_TIMEOUT_MS 3000
#define MAX_CANDIDATES 65536

struct candidate {
    int fd;
    int listen_fds[FRAME_MAX_FDS];
    unsigned n_listen_fds;
    int64_t id, gen;
    char *payload; /* the hello reply, owned */
    size_t len;
    struct kv_msg msg;
    const char *status;
};

/* Connects to one supervisor socket and asks hello. */
static int probe(const char *path, struct candidate *c)
{
    int fd = unix_connect(path, 0);
    if (fd < 0)
        return fd;
    int r = unix_check_peer(fd, NULL);
    struct strbuf b = STRBUF_INIT;
    kv_add(&b, "cmd", "hello");
    kv_add(&b, "req", "0");
    if (r == 0)
        r = frame_send(fd, b.buf, b.len, NULL, 0);
    strbuf_free(&b);
    if (r == 0)
        r = frame_recv(fd, FRAME_MAX_INTERNAL, HELLO_TIMEOUT_MS, &c->payload, &c->len, NULL, NULL);
    if (r == 0 && kv_parse(c->payload, c->len, &c->msg) < 0)
        r = -EPROTO;
    if (r < 0) {
        free(c->payload);
        c->payload = NULL;
        close(fd);
        return r;
    }
    /* the app's listening sockets: the daemon owns them again */
    if (kv_get_i64(&c->msg, "listen_fds", 0) > 0) {
        struct strbuf q = STRBUF_INIT;
        kv_add(&q, "cmd", "listen_fds");
        kv_add(&q, "req", "0");
        char *payload = NULL;
        size_t len;
        if (frame_send(fd, q.buf, q.len, NULL, 0) == 0 &&
            frame_recv(fd, FRAME_MAX_INTERNAL, HELLO_TIMEOUT_MS, &payload, &len, c->listen_fds,
                       &c->n_listen_fds) == 0)
            free(payload);
        strbuf_free(&q);
    }
    c->fd = fd;
    c->id = kv_get_i64(&c->msg, "id", -1);
    c->gen = kv_get_i64(&c->msg, "gen", 0);
    c->status = kv_get(&c->msg, "status");
    if (!c->status)
        c->status = "";
    return 0;
}

/* A supervisor we will not keep (duplicate from an interrupted reload):
 * tell it to stop its app and exit. */
static void drop_listen_fds(struct candidate *c)
{
    for (unsigned i = 0; i < c->n_listen_fds; i++)
        close(c->listen_fds[i]);
    c->n_listen_fds = 0;
}

static void dismiss(struct daemon *d, struct candidate *c)
{
    drop_listen_fds(c);
    struct suplink *l =
        suplink_attach(d, NULL, c->fd, (pid_t)kv_get_i64(&c->msg, "sup_pid", 0), NULL);
    if (!l) {
        close(c->fd);
        return;
    }
    log_info("instance %lld: dismissing duplicate supervisor (generation %lld)", (long long)c->id,
             (long long)c->gen);
    suplink_request(l, "delete", NULL, NULL, NULL, NULL);
}

static int is_up(const char *status)
{
    return !strcmp(status, "online");
}

/* Of two supervisors for one id, keep the newer unless it is not up yet and
 * the older is (a reload was interrupted before the new one was ready). */
static int better(const struct candidate *a, const struct candidate *b)
{
    if (is_up(a->status) != is_up(b->status))
        return is_up(a->status);
    return a->gen > b->gen;
}

static struct app *app_for(struct daemon *d, const struct candidate *c)
{
    const char *name = kv_get(&c->msg, "name");
    char why[128];
    if (!name || app_name_check(name, why, sizeof(why)) < 0)
        return NULL;
    struct app *app = registry_find_app(&d->reg, name);
    if (app)
        return app;
    const char *text = kv_get(&c->msg, "app_json");
    json_t *config = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(config)) {
        json_decref(config);
        return NULL;
    }
    log_warn("app '%s' was not in state.json: rebuilt from its running supervisor", name);
    return registry_add_app(&d->reg, name, config, wall_ms());
}

static void attach(struct daemon *d, struct candidate *c)
{
    struct inst *in = registry_find_inst(&d->reg, c->id);
    if (!in) {
        struct app *app = app_for(d, c);
        if (!app || !(in = registry_add_inst(&d->reg, app, c->id))) {
            dismiss(d, c);
            return;
        }
        in->want_running = strcmp(c->status, "stopped") != 0;
        in->created_at = kv_get_i64(&c->msg, "created_at", wall_ms());
        in->slot = (int)registry_count_app_insts(&d->reg, app) - 1;
        inst_resolve_log_paths(d, in);
    }
    in->gen = c->gen;
    for (unsigned i = 0; i < c->n_listen_fds; i++)
        listeners_adopt(in->app, c->listen_fds[i], in->slot);
    c->n_listen_fds = 0;
    suplink_parse_snapshot(&c->msg, &in->snap);
    if (!suplink_attach(d, in, c->fd, in->snap.sup_pid, &in->snap))
        close(c->fd);
}

static int cmp_candidates(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

void adopt_all(struct daemon *d)
{
    persist_load(d);
    DIR *dir = opendir(d->paths.sup_dir);
    struct candidate *cands = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".sock") != 0 || n >= MAX_CANDIDATES)
            continue;
        char path[4200];
        if (path_join(path, d->paths.sup_dir, de->d_name) < 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct candidate *nc = realloc(cands, ncap * sizeof(*nc));
            if (!nc)
                break;
            cands = nc;
            cap = ncap;
        }
        memset(&cands[n], 0, sizeof(cands[n]));
        int r = probe(path, &cands[n]);
        if (r == -ECONNREFUSED || r == -ENOENT) {
            unlink(path); /* its supervisor is gone */
            continue;
        }
        if (r < 0) {
            log_warn_errno(r, "cannot talk to supervisor at %s", path);
            continue;
        }
        if (cands[n].id < 0 || !strcmp(cands[n].status, "deleted")) {
            drop_listen_fds(&cands[n]);
            close(cands[n].fd);
            free(cands[n].payload);
            continue;
        }
        n++;
    }
    if (dir)
        closedir(dir);

    if (n > 1)
        qsort(cands, n, sizeof(*cands), cmp_candidates);
    for (size_t i = 0; i < n;) {
        size_t j = i, best = i;
        while (j < n && cands[j].id == cands[i].id) {
            if (better(&cands[j], &cands[best]))
                best = j;
            j++;
        }
        for (size_t k = i; k < j; k++)
            if (k != best)
                dismiss(d, &cands[k]);
        attach(d, &cands[best]);
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        free(cands[i].payload);
    free(cands);

    /* instances that should run but have no supervisor lost it while the
     * daemon was away (killed with their app): start them again */
    size_t adopted = 0, restarted = 0;
    for (size_t i = 0; i < d->reg.n_insts; i++) {
        struct inst *in = d->reg.insts[i];
        if (in->link) {
            adopted++;
            continue;
        }
        if (!in->want_running)
            continue;
        char err[256];
        in->snap.restarts++;
        if (lifecycle_start(d, in, err, sizeof(err)) < 0)
            log_error("%s:%lld: cannot start: %s", in->app->name, (long long)in->id, err);
        else
            restarted++;
    }
    if (adopted || restarted)
        log_info("re-adopted %zu instance(s), restarted %zu whose supervisor was gone", adopted,
                 restarted);
    daemon_persist(d);
}
