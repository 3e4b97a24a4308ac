/* completion.c - the candidates Tab offers (completion.h). */
#include "cli/completion.h"
#include "base/macros.h"
#include "base/parse.h"
#include "cli/cli.h"
#include "cli/verb_docs.h"
#include "config/options.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const global_flags[] = {"--json", "--no-color", "-s", "--silent",
                                           "-h",     "--help",     "-v", "--version"};

struct out {
    FILE *f;
    const char *prefix; /* what the word under the cursor starts with */
    const char *lead;   /* printed before each candidate ("--sort=") */
    size_t count;
};

static void offer(struct out *o, const char *word, size_t len)
{
    size_t plen = strlen(o->prefix);
    if (len < plen || memcmp(word, o->prefix, plen) != 0)
        return;
    fprintf(o->f, "%s%.*s\n", o->lead, (int)len, word);
    o->count++;
}

/* Offers each item of list, split at any of seps. */
static void offer_list(struct out *o, const char *list, const char *seps)
{
    while (list && *list) {
        size_t n = strcspn(list, seps);
        if (n)
            offer(o, list, n);
        list += n + (list[n] != '\0');
    }
}

/* The spec of flag among the verb's own flags: its value part after '='
 * ("" when it takes a value with nothing to offer), or NULL when the flag
 * takes no value; *found says whether it is one of them. */
static const char *verb_flag(const struct verb_doc *g, const char *flag, size_t len, int *found)
{
    *found = 0;
    for (const char *p = g && g->flags ? g->flags : ""; *p;) {
        size_t n = strcspn(p, " ");
        size_t name = strcspn(p, "= ");
        if (name == len && memcmp(p, flag, len) == 0) {
            *found = 1;
            return name < n ? p + name + 1 : NULL;
        }
        p += n + (p[n] != '\0');
    }
    return NULL;
}

/* Does flag take a value (so the next word is that value)? For the verb's
 * own flags and, with VERB_ARG_OPTIONS, the option table's (whose switches and
 * optional values, --watch, take none here). */
static int takes_value(const struct verb_doc *g, const char *flag)
{
    if (strchr(flag, '='))
        return 0;
    int found;
    const char *spec = verb_flag(g, flag, strlen(flag), &found);
    if (found)
        return spec != NULL;
    const struct opt_def *d = g && (g->args & VERB_ARG_OPTIONS) ? opt_by_flag(flag) : NULL;
    return d && d->type != OPT_BOOL && d->type != OPT_BOOL_OR_STRINGS;
}

static void offer_signals(struct out *o)
{
    for (int sig = 1; sig < 32; sig++) {
        const char *name = signal_name(sig);
        if (name)
            offer(o, name, strlen(name));
    }
}

/* The values of flag; returns 1 when file names fit there instead. */
static int offer_values(struct out *o, const struct verb_doc *g, const char *flag, size_t len)
{
    int found;
    const char *spec = verb_flag(g, flag, len, &found);
    if (found) {
        if (spec && !strncmp(spec, "/", 1))
            return 1;
        /* its values end where the next flag starts */
        char values[512];
        snprintf(values, sizeof(values), "%.*s", spec ? (int)strcspn(spec, " ") : 0,
                 spec ? spec : "");
        offer_list(o, values, "|");
        return 0;
    }
    char name[128];
    snprintf(name, sizeof(name), "%.*s", (int)MIN(len, sizeof(name) - 1), flag);
    const struct opt_def *d = g && (g->args & VERB_ARG_OPTIONS) ? opt_by_flag(name) : NULL;
    if (!d)
        return 0;
    switch (d->type) {
    case OPT_ENUM:
        for (const char *const *ch = d->choices; ch && *ch; ch++)
            offer(o, *ch, strlen(*ch));
        return 0;
    case OPT_INSTANCES:
        offer(o, "max", 3);
        return 0;
    case OPT_SIGNAL:
        offer_signals(o);
        return 0;
    case OPT_STRING:
    case OPT_ARGS:
    case OPT_STRINGS:
        return 1; /* paths mostly: cwd, logs, interpreter, ignore_watch */
    default:
        return 0;
    }
}

static void offer_flags(struct out *o, const struct verb_doc *g)
{
    for (size_t i = 0; i < ARRAY_SIZE(global_flags); i++)
        offer(o, global_flags[i], strlen(global_flags[i]));
    for (const char *p = g && g->flags ? g->flags : ""; *p;) {
        size_t n = strcspn(p, " ");
        offer(o, p, strcspn(p, "= "));
        p += n + (p[n] != '\0');
    }
    if (!g || !(g->args & VERB_ARG_OPTIONS))
        return;
    for (size_t i = 0; i < opt_table_len; i++) {
        if (opt_table[i].flag)
            offer(o, opt_table[i].flag, strlen(opt_table[i].flag));
        if (opt_table[i].short_flag)
            offer(o, opt_table[i].short_flag, strlen(opt_table[i].short_flag));
    }
}

/* Names (and, for targets, ids, namespaces and "all") of the running apps. */
static void offer_apps(struct out *o, const struct completion_targets *t, int targets)
{
    json_t *procs = t && t->list ? t->list(t->ctx) : NULL;
    json_t *seen = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(procs, i, p)
    {
        const char *keys[] = {"name", "namespace"};
        for (size_t k = 0; k < (targets ? 2u : 1u); k++) {
            const char *v = json_string_value(json_object_get(p, keys[k]));
            if (v && !json_object_get(seen, v)) {
                json_object_set_new(seen, v, json_true());
                offer(o, v, strlen(v));
            }
        }
        json_t *id = json_object_get(p, "id");
        if (targets && json_is_integer(id)) {
            char buf[32];
            snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(id));
            offer(o, buf, strlen(buf));
        }
    }
    if (targets)
        offer(o, "all", 3);
    json_decref(seen);
    json_decref(procs);
}

static int is_global_flag(const char *w)
{
    for (size_t i = 0; i < 4; i++) /* --json --no-color -s --silent: they take no value */
        if (!strcmp(w, global_flags[i]))
            return 1;
    return 0;
}

static void offer_verbs(struct out *o)
{
    for (size_t i = 0; i < cli_verbs_len; i++)
        if (strncmp(cli_verbs[i].name, "__", 2) != 0)
            offer(o, cli_verbs[i].name, strlen(cli_verbs[i].name));
}

size_t completion_candidates(int n_words, char *const *words,
                             const struct completion_targets *targets, FILE *out)
{
    if (n_words < 1)
        return 0;
    const char *cur = words[n_words - 1];
    struct out o = {.f = out, .prefix = cur, .lead = ""};
    int verb = -1;
    for (int i = 0; i < n_words - 1 && verb < 0; i++)
        if (!is_global_flag(words[i]))
            verb = i;
    if (verb < 0) {
        if (cur[0] == '-')
            offer_flags(&o, NULL);
        else
            offer_verbs(&o);
        return o.count;
    }
    const struct verb_doc *g = verb_doc_find(words[verb]);
    /* after `--`: the app's own arguments */
    int positional = 0, files = 0;
    for (int i = verb + 1; i < n_words - 1; i++) {
        if (!strcmp(words[i], "--")) {
            fputs(COMPLETION_FILES_LINE "\n", out);
            return o.count;
        }
        if (words[i][0] == '-' && words[i][1])
            i += takes_value(g, words[i]);
        else
            positional++;
    }
    const char *prev = n_words >= 2 ? words[n_words - 2] : "";
    const char *eq = cur[0] == '-' ? strchr(cur, '=') : NULL;
    if (eq) { /* --flag=value (zsh, fish) */
        char lead[128];
        snprintf(lead, sizeof(lead), "%.*s", (int)MIN((size_t)(eq - cur + 1), sizeof(lead) - 1),
                 cur);
        o.prefix = eq + 1;
        o.lead = lead;
        files = offer_values(&o, g, cur, (size_t)(eq - cur));
    } else if (verb < n_words - 2 && prev[0] == '-' && takes_value(g, prev)) {
        files = offer_values(&o, g, prev, strlen(prev));
    } else if (cur[0] == '-') {
        offer_flags(&o, g);
    } else if (g) {
        if (positional == 0 && g->words)
            offer_list(&o, g->words, " ");
        else if (g->args & VERB_ARG_SIGNAL && positional == 0)
            offer_signals(&o);
        else if (g->args & VERB_ARG_APP && positional == 0)
            offer_apps(&o, targets, 0);
        else if (g->args & (VERB_ARG_TARGETS | VERB_ARG_SIGNAL))
            offer_apps(&o, targets, 1);
        files = (g->args & VERB_ARG_FILES) != 0;
    }
    if (files)
        fputs(COMPLETION_FILES_LINE "\n", out);
    return o.count;
}
