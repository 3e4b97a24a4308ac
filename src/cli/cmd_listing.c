/* cmd_listing.c - listings in PM2's forms: `ls` (sorted by name like PM2,
 * `--sort <field>[:asc|desc]`, `-m`/`--mini-list`), `prettylist` (jlist,
 * indented) and `id <name>` (the ids, printed as PM2 prints an array). */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/pm2_shape.h"
#include "cli/proc_sort.h"
#include "cli/render.h"
#include "proto/ls_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_json(json_t *v, size_t flags)
{
    char *text = json_dumps(v, flags);
    if (text) {
        puts(text);
        free(text);
    }
}

/* The table needs a few columns: the daemon's compact rows
 * (proto/ls_rows.h), or the brief objects from a daemon that has none. */
static int print_table(struct cli *c, const struct proc_sort *sort)
{
    json_t *reply = client_call(
        c, json_pack("{s:s, s:b, s:s}", "cmd", "list", "brief", 1, "rows", LS_ROWS_FIELDS));
    if (!reply)
        return 1;
    json_t *text = json_object_get(reply, "rows");
    struct ls_rows rows;
    int r = json_is_string(text)
                ? ls_rows_parse(&rows, json_string_value(text), json_string_length(text))
                : ls_rows_from_json(&rows, json_object_get(reply, "processes"));
    if (r < 0) {
        fprintf(stderr, "drover: the daemon's listing is unreadable (%s)\n", strerror(-r));
        json_decref(reply);
        return 1;
    }
    ls_rows_sort(&rows, sort);
    render_rows(c, &rows);
    ls_rows_free(&rows);
    json_decref(reply);
    return 0;
}

int cmd_ls(struct cli *c)
{
    struct proc_sort sort = PROC_SORT_BY_NAME;
    char err[160];
    int sorted = 0, mini = 0;
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        int r = 0;
        if (!strcmp(a, "--sort")) {
            if (i + 1 >= c->argc)
                return cli_usage("--sort needs a field: name, id, pid, cpu, memory, ...");
            r = proc_sort_parse(c->argv[++i], &sort, err, sizeof(err));
            sorted = 1;
        } else if (!strncmp(a, "--sort=", 7)) {
            r = proc_sort_parse(a + 7, &sort, err, sizeof(err));
            sorted = 1;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--mini-list")) {
            mini = 1;
        } else {
            return cli_usage("unknown %s '%s' for %s", a[0] == '-' ? "option" : "argument", a,
                             c->verb);
        }
        if (r)
            return cli_usage("--sort: %s", err);
    }
    if (!c->json && !mini)
        return print_table(c, &sort);
    /* --json and -m: the full objects */
    json_t *reply = client_call(c, json_pack("{s:s, s:b}", "cmd", "list", "brief", 0));
    if (!reply)
        return 1;
    json_t *procs = json_object_get(reply, "processes");
    /* JSON stays in id order unless asked: scripts index it */
    if (!c->json || sorted)
        proc_sort_apply(procs, &sort);
    if (c->json)
        print_json(procs, JSON_COMPACT);
    else
        render_mini(c, procs);
    json_decref(reply);
    return 0;
}

int cmd_prettylist(struct cli *c)
{
    if (c->argc > 0)
        return cli_usage("prettylist takes no argument");
    json_t *reply = client_call(c, json_pack("{s:s, s:b}", "cmd", "list", "brief", 0));
    if (!reply)
        return 1;
    json_t *shaped = pm2_shape_list(json_object_get(reply, "processes"));
    print_json(shaped, JSON_INDENT(2));
    json_decref(shaped);
    json_decref(reply);
    return 0;
}

int cmd_id(struct cli *c)
{
    if (c->argc != 1 || c->argv[0][0] == '-')
        return cli_usage("usage: drover id <name>");
    json_t *reply =
        client_call(c, json_pack("{s:s, s:[s]}", "cmd", "describe", "targets", c->argv[0]));
    if (!reply)
        return 1;
    json_t *ids = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(reply, "processes"), i, p)
        json_array_append(ids, json_object_get(p, "id"));
    if (c->json) {
        print_json(ids, JSON_COMPACT);
    } else {
        /* as PM2 prints it: console.log([0, 1]) */
        fputs("[", stdout);
        json_array_foreach(ids, i, p)
            printf("%s %lld", i ? "," : "", (long long)json_integer_value(p));
        puts(json_array_size(ids) ? " ]" : "]");
    }
    json_decref(ids);
    json_decref(reply);
    return 0;
}
