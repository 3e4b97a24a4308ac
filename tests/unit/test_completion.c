/* Unit tests for cli/completion.c: what Tab offers at each position (verbs,
 * global and per-verb flags, option values, fixed words, app names, ids
 * and namespaces from a stand-in daemon, file names), with the verb table
 * given here in main.c's place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/completion.h"

const struct cli_verb cli_verbs[] = {
    {"start", NULL}, {"stop", NULL},    {"restart", NULL},    {"reload", NULL},
    {"ls", NULL},    {"logs", NULL},    {"scale", NULL},      {"sendSignal", NULL},
    {"help", NULL},  {"startup", NULL}, {"completion", NULL}, {"__complete", NULL},
};
const size_t cli_verbs_len = sizeof(cli_verbs) / sizeof(cli_verbs[0]);

static int list_calls;

static json_t *fake_list(void *ctx)
{
    (void)ctx;
    list_calls++;
    return json_pack("[{s:i, s:s, s:s}, {s:i, s:s, s:s}, {s:i, s:s, s:s}]", "id", 0, "name", "api",
                     "namespace", "web", "id", 1, "name", "api", "namespace", "web", "id", 2,
                     "name", "worker", "namespace", "default");
}

static json_t *no_daemon(void *ctx)
{
    (void)ctx;
    list_calls++;
    return NULL;
}

/* The candidates for words (a space-separated line, "|" standing for the
 * empty word under the cursor), one per line. */
static char *complete(const char *line, json_t *(*list)(void *))
{
    char *copy = strdup(line), *save = NULL, *words[32];
    int n = 0;
    for (char *w = strtok_r(copy, " ", &save); w && n < 32; w = strtok_r(NULL, " ", &save))
        words[n++] = strcmp(w, "|") ? w : "";
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct completion_targets t = {.list = list};
    completion_candidates(n, words, &t, f);
    fclose(f);
    free(copy);
    return out;
}

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

#define ASSERT_OFFERS(line, word)                                                                  \
    do {                                                                                           \
        char *got_ = complete(line, fake_list);                                                    \
        if (!has_line(got_, word))                                                                 \
            fail_msg("'%s' does not offer '%s':\n%s", line, word, got_);                           \
        free(got_);                                                                                \
    } while (0)

#define ASSERT_NOT_OFFERS(line, word)                                                              \
    do {                                                                                           \
        char *got_ = complete(line, fake_list);                                                    \
        if (has_line(got_, word))                                                                  \
            fail_msg("'%s' offers '%s':\n%s", line, word, got_);                                   \
        free(got_);                                                                                \
    } while (0)

static void test_verbs(void **state)
{
    (void)state;
    ASSERT_OFFERS("|", "start");
    ASSERT_OFFERS("st", "stop");
    ASSERT_OFFERS("st", "startup");
    ASSERT_NOT_OFFERS("st", "restart");
    ASSERT_NOT_OFFERS("|", "__complete"); /* internal verbs stay hidden */
    ASSERT_OFFERS("--json |", "ls");      /* global flags before the verb */
    ASSERT_OFFERS("--", "--no-color");
    ASSERT_NOT_OFFERS("zz", "start");
}

static void test_flags_and_values(void **state)
{
    (void)state;
    ASSERT_OFFERS("start app.js --inst", "--instances");
    ASSERT_OFFERS("start app.js -", "-i");
    ASSERT_OFFERS("start --", "--no-daemon"); /* start's own flags */
    ASSERT_OFFERS("start --", "--json");      /* and the global ones */
    ASSERT_OFFERS("start app.js --exec-mode |", "cluster");
    ASSERT_OFFERS("start app.js -i |", "max");
    ASSERT_OFFERS("start app.js --kill-signal SIGT", "SIGTERM");
    ASSERT_OFFERS("start app.js --log-type=j", "--log-type=json");
    ASSERT_OFFERS("ls --sort |", "memory");
    ASSERT_OFFERS("ls --sort=c", "--sort=cpu");
    ASSERT_NOT_OFFERS("ls --sort |", "-m"); /* the next flag is not a value */
    ASSERT_NOT_OFFERS("ls --sort=", "--sort=--mini-list");
    ASSERT_OFFERS("ls -", "--mini-list");
    ASSERT_NOT_OFFERS("ls -", "--instances"); /* app options are start's */
    ASSERT_OFFERS("logs api --n", "--nostream");
    ASSERT_OFFERS("startup --", "--print");
}

static void test_words_and_targets(void **state)
{
    (void)state;
    ASSERT_OFFERS("help |", "pm2");
    ASSERT_OFFERS("completion |", "fish");
    ASSERT_OFFERS("startup |", "systemd");
    ASSERT_OFFERS("stop |", "api");
    ASSERT_OFFERS("stop |", "1");
    ASSERT_OFFERS("stop |", "web"); /* a namespace */
    ASSERT_OFFERS("stop |", "all");
    ASSERT_OFFERS("logs w", "worker");
    ASSERT_NOT_OFFERS("logs w", "api");
    ASSERT_OFFERS("scale |", "api");
    ASSERT_NOT_OFFERS("scale |", "0"); /* an app name, not an id */
    ASSERT_OFFERS("sendSignal |", "SIGUSR2");
    ASSERT_OFFERS("sendSignal SIGUSR2 |", "worker");
    /* a value is not a target: --name's value, then targets again */
    ASSERT_OFFERS("restart --update-env |", "api");
    ASSERT_OFFERS("start app.js --name x |", COMPLETION_FILES_LINE);
}

static void test_files_and_no_daemon(void **state)
{
    (void)state;
    ASSERT_OFFERS("start |", COMPLETION_FILES_LINE);
    ASSERT_OFFERS("start app.js -- |", COMPLETION_FILES_LINE); /* the app's own arguments */
    ASSERT_NOT_OFFERS("start app.js -- -", "--name");
    ASSERT_NOT_OFFERS("ls |", COMPLETION_FILES_LINE);
    ASSERT_OFFERS("start app.js --cwd |", COMPLETION_FILES_LINE);
    /* no daemon: no names, nothing else breaks; verbs never ask it */
    list_calls = 0;
    char *got = complete("stop |", no_daemon);
    assert_true(has_line(got, COMPLETION_FILES_LINE));
    assert_false(has_line(got, "api"));
    assert_int_equal(list_calls, 1);
    free(got);
    list_calls = 0;
    free(complete("st", no_daemon));
    free(complete("ls --sort |", no_daemon));
    assert_int_equal(list_calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verbs),
        cmocka_unit_test(test_flags_and_values),
        cmocka_unit_test(test_words_and_targets),
        cmocka_unit_test(test_files_and_no_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
