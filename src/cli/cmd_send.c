/* cmd_send.c - verbs that reach an app through its supervisor (the daemon's
 * cmd_io.c): `send <target> <line>` writes the line and a newline to the
 * app's stdin (PM2's sendLineToStdin; the words after the target are
 * joined by spaces), `env <target>` prints the environment an instance
 * runs with as PM2 does, `KEY: value` lines. */
#include "base/strbuf.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_errors(json_t *reply)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(reply, "errors"), i, v)
        fprintf(stderr, "drover: error: %s\n", json_string_value(v));
}

int cmd_send(struct cli *c)
{
    if (c->argc < 2)
        return cli_usage("usage: drover send <id|name> <line>");
    struct strbuf line = STRBUF_INIT;
    for (int i = 1; i < c->argc; i++)
        if ((i > 1 && strbuf_append(&line, " ", 1) < 0) ||
            strbuf_append(&line, c->argv[i], strlen(c->argv[i])) < 0) {
            strbuf_free(&line);
            return cli_error("out of memory");
        }
    if (strbuf_append(&line, "\n", 1) < 0) {
        strbuf_free(&line);
        return cli_error("out of memory");
    }
    json_t *req = json_pack("{s:s, s:[s], s:s%}", "cmd", "send", "targets", c->argv[0], "data",
                            line.buf, line.len);
    strbuf_free(&line);
    if (!req)
        return cli_error("the line is not valid UTF-8 text");
    json_t *reply;
    int r = client_request(c, req, 1, &reply);
    json_decref(req);
    if (r < 0)
        return 1;
    json_t *errors = json_object_get(reply, "errors");
    if (json_array_size(errors) > 0)
        print_errors(reply);
    else if (!json_is_true(json_object_get(reply, "ok")))
        cli_error("%s", json_string_value(json_object_get(reply, "error")) ?: "request failed");
    size_t sent = json_array_size(json_object_get(reply, "sent"));
    if (c->json) {
        char *text = json_dumps(reply, JSON_COMPACT);
        if (text)
            puts(text);
        free(text);
    } else if (sent > 0) {
        cli_say(c, "sent a line to %zu process%s", sent, sent == 1 ? "" : "es");
    }
    r = json_is_true(json_object_get(reply, "ok")) && json_array_size(errors) == 0 ? 0 : 1;
    json_decref(reply);
    return r;
}

int cmd_env(struct cli *c)
{
    if (c->argc < 1)
        return cli_usage("usage: drover env <id|name>");
    json_t *targets = json_array();
    for (int i = 0; i < c->argc; i++) {
        if (c->argv[i][0] == '-' && c->argv[i][1]) {
            json_decref(targets);
            return cli_usage("unknown option '%s' for env", c->argv[i]);
        }
        json_array_append_new(targets, json_string(c->argv[i]));
    }
    json_t *reply = client_call(c, json_pack("{s:s, s:o}", "cmd", "env", "targets", targets));
    if (!reply)
        return 1;
    print_errors(reply);
    json_t *envs = json_object_get(reply, "envs");
    if (c->json) {
        char *text = json_dumps(envs, JSON_COMPACT);
        if (text)
            puts(text);
        free(text);
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(envs, i, e)
        {
            if (json_array_size(envs) > 1)
                printf("%s%s (id %lld):\n", i ? "\n" : "",
                       json_string_value(json_object_get(e, "name")),
                       (long long)json_integer_value(json_object_get(e, "id")));
            const char *key;
            json_t *v;
            json_object_foreach(json_object_get(e, "env"), key, v)
                printf("%s: %s\n", key, json_string_value(v));
        }
    }
    int r = json_array_size(json_object_get(reply, "errors")) > 0 ? 1 : 0;
    json_decref(reply);
    return r;
}
