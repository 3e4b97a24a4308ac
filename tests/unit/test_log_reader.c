/* Tests of the `drover logs` reader on real files: the last N lines of a
 * file, the listing of rotated files, following a log across rotations
 * (several between two reads, compressed ones, an external move and
 * reopen), truncation, partial and over-long lines, and which files a
 * target names in state.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fdutil.h"
#include "base/strbuf.h"
#include "logs/log_name.h"
#include "logs/log_reader.h"
#include "logs/log_sources.h"
#include "test_log_util.h"

/* --- helpers --- */

static const char *dir_for(const char *test)
{
    static char d[PATH_MAX];
    snprintf(d, sizeof(d), "%s/%s", log_test_dir, test);
    assert_int_equal(mkdir_p(d, 0755), 0);
    return d;
}

static void append(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write_full(fd, text, strlen(text)), 0);
    close(fd);
}

static void append_numbers(const char *path, int from, int to)
{
    struct strbuf sb = STRBUF_INIT;
    for (int i = from; i < to; i++)
        assert_int_equal(strbuf_printf(&sb, "%d\n", i), 0);
    if (sb.len)
        append(path, sb.buf);
    strbuf_free(&sb);
}

/* Renames path to its rotated name for second `sec` of 2026-11-21 10:00. */
static void rotate(const char *path, int sec, const char *suffix)
{
    char rotated[PATH_MAX], target[PATH_MAX];
    assert_int_equal(
        log_name_rotated(path, 1795255200000LL + sec * 1000LL, 0, rotated, sizeof(rotated)), 0);
    snprintf(target, sizeof(target), "%s%s", rotated, suffix);
    assert_int_equal(rename(path, target), 0);
}

struct collected {
    struct strbuf text; /* lines joined with '\n', pieces with '|' */
    unsigned lines, pieces;
};

static void collect(void *ctx, const char *line, size_t len, enum line_end end)
{
    struct collected *c = ctx;
    assert_int_equal(strbuf_append(&c->text, line, len), 0);
    if (end == LINE_END_SPLIT) {
        c->pieces++;
        assert_int_equal(strbuf_putc(&c->text, '|'), 0);
    } else {
        c->lines++;
        assert_int_equal(strbuf_putc(&c->text, '\n'), 0);
    }
}

static const char *text_of(struct collected *c)
{
    return c->text.buf ? c->text.buf : "";
}

static void reset(struct collected *c)
{
    strbuf_reset(&c->text);
    c->lines = c->pieces = 0;
}

/* Reads until caught up. */
static void read_all(struct log_follow *f, struct collected *c)
{
    int r;
    while ((r = log_follow_read(f, 1 << 20, collect, c)) == 1)
        ;
    assert_int_equal(r, 0);
}

/* "from\n...to-1\n" */
static char *numbers(int from, int to)
{
    struct strbuf sb = STRBUF_INIT;
    for (int i = from; i < to; i++)
        assert_int_equal(strbuf_printf(&sb, "%d\n", i), 0);
    return strbuf_detach(&sb, NULL);
}

static void assert_numbers(struct collected *c, int from, int to)
{
    char *want = numbers(from, to);
    assert_string_equal(text_of(c), want);
    free(want);
}

/* --- tail --- */

static void tail_of(const char *path, unsigned n, uint64_t *start, unsigned *found)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(log_reader_tail_start(fd, (uint64_t)st.st_size, n, start, found), 0);
    close(fd);
}

static void test_tail_start(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/t.log", dir_for("tail"));
    uint64_t start;
    unsigned found;

    append(path, "");
    tail_of(path, 5, &start, &found);
    assert_int_equal(start, 0);
    assert_int_equal(found, 0);

    append(path, "a\nbb\nccc\n");
    tail_of(path, 2, &start, &found);
    assert_int_equal(start, 2); /* "bb\nccc\n" */
    assert_int_equal(found, 2);
    tail_of(path, 3, &start, &found);
    assert_int_equal(start, 0);
    assert_int_equal(found, 3);
    tail_of(path, 10, &start, &found);
    assert_int_equal(start, 0);
    assert_int_equal(found, 3);
    tail_of(path, 0, &start, &found);
    assert_int_equal(start, 9);
    assert_int_equal(found, 0);

    /* an unfinished last line counts; empty lines count */
    append(path, "\n\ndd");
    tail_of(path, 1, &start, &found);
    assert_int_equal(start, 11);
    tail_of(path, 3, &start, &found);
    assert_int_equal(start, 9); /* "\n\ndd": two empty lines and "dd" */
    assert_int_equal(found, 3);
}

static void test_tail_long_lines(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/long.log", dir_for("tail_long"));
    /* lines around and across the 64 KiB blocks read backwards */
    size_t big = 3 * LOG_READER_CHUNK + 17;
    char *line = malloc(big + 2);
    memset(line, 'x', big);
    line[big] = '\n';
    line[big + 1] = '\0';
    append(path, "first\n");
    append(path, line);
    append(path, "last\n");
    uint64_t start;
    unsigned found;
    tail_of(path, 1, &start, &found);
    assert_int_equal(start, 6 + big + 1);
    tail_of(path, 2, &start, &found);
    assert_int_equal(start, 6);
    assert_int_equal(found, 2);
    tail_of(path, 3, &start, &found);
    assert_int_equal(start, 0);
    assert_int_equal(found, 3);
    free(line);
}

/* --- rotated files --- */

static void test_list_rotated(void **state)
{
    (void)state;
    const char *d = dir_for("list");
    char path[PATH_MAX], f[PATH_MAX];
    snprintf(path, sizeof(path), "%s/app-out.log", d);
    const char *names[] = {
        "app-out__2026-11-21_10-00-01.log",    "app-out__2026-11-21_10-00-00_0001.log.gz",
        "app-out__2026-11-21_10-00-00.log.gz", "app-out__2026-11-21_10-00-00_0002.log",
        "app-out__2026-11-21_09-59-59.log",    "app-out.log",
        "app-error__2026-11-21_10-00-00.log",  "app-out__2026-11-21_10-00-0x.log",
        "app-out__2026-11-21_10-00-01.log.gz",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(f, sizeof(f), "%s/%s", d, names[i]);
        append(f, "x\n");
    }
    char **list;
    size_t n;
    assert_int_equal(log_name_list_rotated(path, &list, &n), 0);
    assert_int_equal(n, 6);
    assert_string_equal(list[0], "app-out__2026-11-21_09-59-59.log");
    assert_string_equal(list[1], "app-out__2026-11-21_10-00-00.log.gz");
    assert_string_equal(list[2], "app-out__2026-11-21_10-00-00_0001.log.gz");
    assert_string_equal(list[3], "app-out__2026-11-21_10-00-00_0002.log");
    assert_string_equal(list[4], "app-out__2026-11-21_10-00-01.log");
    assert_string_equal(list[5], "app-out__2026-11-21_10-00-01.log.gz");
    log_name_free_list(list, n);

    snprintf(path, sizeof(path), "%s/missing/app-out.log", d);
    assert_int_equal(log_name_list_rotated(path, &list, &n), 0);
    assert_int_equal(n, 0);
}

/* --- following --- */

static void test_follow_new_lines_and_partial(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/a.log", dir_for("follow"));
    append_numbers(path, 0, 10);
    struct log_follow f;
    struct collected c = {STRBUF_INIT, 0, 0};
    assert_int_equal(log_follow_init(&f, path), 0);
    uint64_t backlog;
    assert_int_equal(log_follow_start(&f, 3, &backlog), 0);
    assert_int_equal(backlog, 6); /* "7\n8\n9\n" */
    read_all(&f, &c);
    assert_numbers(&c, 7, 10);

    reset(&c);
    append(path, "10\n11");
    read_all(&f, &c);
    assert_string_equal(text_of(&c), "10\n"); /* "11" waits for its newline */
    append(path, "2\n");
    read_all(&f, &c);
    assert_string_equal(text_of(&c), "10\n112\n");

    /* a budget stops a read and the next one goes on */
    reset(&c);
    append_numbers(path, 0, 1000);
    assert_int_equal(log_follow_read(&f, 100, collect, &c), 1);
    read_all(&f, &c);
    assert_numbers(&c, 0, 1000);

    reset(&c);
    append(path, "end");
    read_all(&f, &c);
    assert_int_equal(c.lines, 0);
    log_follow_finish(&f, collect, &c);
    assert_string_equal(text_of(&c), "end\n");
    log_follow_free(&f);
    strbuf_free(&c.text);
}

static void test_follow_rotations(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/app-out.log", dir_for("rot"));
    append_numbers(path, 0, 5);
    struct log_follow f;
    struct collected c = {STRBUF_INIT, 0, 0};
    assert_int_equal(log_follow_init(&f, path), 0);
    assert_int_equal(log_follow_start(&f, 0, NULL), 0);
    read_all(&f, &c);
    assert_int_equal(c.lines, 0);

    /* one rotation: the old file is finished, then the new one */
    append_numbers(path, 5, 10);
    rotate(path, 0, "");
    append_numbers(path, 10, 15);
    read_all(&f, &c);
    assert_numbers(&c, 5, 15);

    /* three rotations between two reads, lines in each file */
    reset(&c);
    append_numbers(path, 15, 20);
    rotate(path, 1, "");
    append_numbers(path, 20, 25);
    rotate(path, 2, "");
    append_numbers(path, 25, 30);
    rotate(path, 3, "");
    append_numbers(path, 30, 35);
    read_all(&f, &c);
    assert_numbers(&c, 15, 35);

    /* a rotated file compressed before it was read is skipped, counted */
    reset(&c);
    append_numbers(path, 35, 40);
    rotate(path, 4, "");
    append_numbers(path, 40, 45);
    rotate(path, 5, ".gz");
    append_numbers(path, 45, 50);
    read_all(&f, &c);
    char *a = numbers(35, 40), *b = numbers(45, 50);
    char want[256];
    snprintf(want, sizeof(want), "%s%s", a, b);
    assert_string_equal(text_of(&c), want);
    assert_int_equal(f.skipped_files, 1);
    free(a);
    free(b);
    log_follow_free(&f);
    strbuf_free(&c.text);
}

static void test_follow_external_move_and_reopen(void **state)
{
    (void)state;
    char path[PATH_MAX], moved[PATH_MAX];
    snprintf(path, sizeof(path), "%s/app-out.log", dir_for("move"));
    snprintf(moved, sizeof(moved), "%s/app-out.log.1", dir_for("move"));
    int wfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    assert_true(wfd >= 0);
    struct log_follow f;
    struct collected c = {STRBUF_INIT, 0, 0};
    assert_int_equal(log_follow_init(&f, path), 0);
    assert_int_equal(log_follow_start(&f, 10, NULL), 0);
    assert_int_equal(write_full(wfd, "0\n1\n", 4), 0);
    read_all(&f, &c);
    assert_numbers(&c, 0, 2);

    /* logrotate moves the file; the writer goes on writing to it */
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(write_full(wfd, "2\n", 2), 0);
    read_all(&f, &c);
    assert_numbers(&c, 0, 3);
    /* reloadLogs: the writer reopens the path; lines written to the old
     * file just before are still read, then the new file */
    assert_int_equal(write_full(wfd, "3\n", 2), 0);
    close(wfd);
    append(path, "4\n5\n");
    read_all(&f, &c);
    assert_numbers(&c, 0, 6);
    log_follow_free(&f);
    strbuf_free(&c.text);
}

static void test_follow_truncation(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/t.log", dir_for("trunc"));
    append_numbers(path, 0, 100);
    struct log_follow f;
    struct collected c = {STRBUF_INIT, 0, 0};
    assert_int_equal(log_follow_init(&f, path), 0);
    assert_int_equal(log_follow_start(&f, 1, NULL), 0);
    read_all(&f, &c);
    assert_numbers(&c, 99, 100);
    reset(&c);
    assert_int_equal(truncate(path, 0), 0);
    append_numbers(path, 0, 3);
    read_all(&f, &c);
    assert_numbers(&c, 0, 3);
    assert_int_equal(f.truncations, 1);
    log_follow_free(&f);
    strbuf_free(&c.text);
}

static void test_follow_missing_file_appears(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/late/app-out.log", dir_for("late"));
    struct log_follow f;
    struct collected c = {STRBUF_INIT, 0, 0};
    assert_int_equal(log_follow_init(&f, path), 0);
    uint64_t backlog = 7;
    assert_int_equal(log_follow_start(&f, 15, &backlog), 0);
    assert_int_equal(backlog, 0);
    read_all(&f, &c);
    assert_int_equal(c.lines, 0);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/late", dir_for("late"));
    assert_int_equal(mkdir_p(dir, 0755), 0);
    append_numbers(path, 0, 4);
    read_all(&f, &c);
    assert_numbers(&c, 0, 4);
    log_follow_free(&f);
    strbuf_free(&c.text);
}

static void test_tail_reaches_into_rotated_files(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/app-out.log", dir_for("tailrot"));
    append_numbers(path, 0, 10);
    rotate(path, 0, "");
    append_numbers(path, 10, 13);
    rotate(path, 1, "");
    append_numbers(path, 13, 15);
    struct log_follow f;
    struct collected c = {STRBUF_INIT, 0, 0};
    assert_int_equal(log_follow_init(&f, path), 0);
    uint64_t backlog;
    assert_int_equal(log_follow_start(&f, 7, &backlog), 0);
    assert_int_equal(backlog, strlen("8\n9\n10\n11\n12\n13\n14\n"));
    /* exactly the backlog, as --nostream reads it */
    assert_int_equal(log_follow_read(&f, backlog, collect, &c), 1);
    assert_numbers(&c, 8, 15);
    append_numbers(path, 15, 16);
    read_all(&f, &c);
    assert_numbers(&c, 8, 16);

    /* more lines asked than there are: everything, oldest first */
    log_follow_free(&f);
    reset(&c);
    assert_int_equal(log_follow_init(&f, path), 0);
    assert_int_equal(log_follow_start(&f, 1000, NULL), 0);
    read_all(&f, &c);
    assert_numbers(&c, 0, 16);

    /* a compressed rotated file ends the way back */
    log_follow_free(&f);
    reset(&c);
    char **names;
    size_t n;
    assert_int_equal(log_name_list_rotated(path, &names, &n), 0);
    assert_int_equal(n, 2);
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof(from), "%s/%s", dir_for("tailrot"), names[0]);
    snprintf(to, sizeof(to), "%s.gz", from);
    assert_int_equal(rename(from, to), 0);
    log_name_free_list(names, n);
    assert_int_equal(log_follow_init(&f, path), 0);
    assert_int_equal(log_follow_start(&f, 1000, NULL), 0);
    read_all(&f, &c);
    assert_numbers(&c, 10, 16);
    log_follow_free(&f);
    strbuf_free(&c.text);
}

static void test_follow_long_line_in_pieces(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/l.log", dir_for("longline"));
    size_t big = LOG_READER_MAX_LINE + 10;
    char *line = malloc(big + 2);
    memset(line, 'y', big);
    line[big] = '\n';
    line[big + 1] = '\0';
    append(path, line);
    append(path, "short\n");
    struct log_follow f;
    struct collected c = {STRBUF_INIT, 0, 0};
    assert_int_equal(log_follow_init(&f, path), 0);
    assert_int_equal(log_follow_start(&f, 2, NULL), 0);
    read_all(&f, &c);
    assert_int_equal(c.pieces, 1);
    assert_int_equal(c.lines, 2);
    assert_int_equal(c.text.len, big + 1 + 6 + 1); /* one '|' after the piece */
    assert_int_equal(c.text.buf[LOG_READER_MAX_LINE], '|');
    log_follow_free(&f);
    strbuf_free(&c.text);
    free(line);
}

/* --- sources from state.json --- */

static const char state_json[] =
    "{\"version\":1,\"next_id\":5,\"apps\":["
    "{\"name\":\"web\",\"config\":{\"namespace\":\"front\",\"cwd\":\"/srv/web\"},"
    " \"instances\":["
    "  {\"id\":3,\"created_at\":100,\"log_out\":\"/l/web-out-3.log\","
    "   \"log_err\":\"/l/web-error-3.log\",\"log_combined\":null},"
    "  {\"id\":1,\"created_at\":90,\"log_out\":\"/l/web-out-1.log\","
    "   \"log_err\":\"rel/err.log\",\"log_combined\":null}]},"
    "{\"name\":\"api\",\"config\":{\"log_type\":\"json\"},\"instances\":["
    "  {\"id\":0,\"log_out\":\"/l/api.log\",\"log_err\":\"/l/api.log\"},"
    "  {\"id\":4,\"log_out\":\"/l/api.log\",\"log_err\":\"/l/api.log\"}]},"
    "{\"name\":\"quiet\",\"config\":{},\"instances\":["
    "  {\"id\":2,\"log_out\":null,\"log_err\":null,\"log_combined\":\"/l/q.log\"}]}"
    "]}";

static void test_sources(void **state)
{
    (void)state;
    struct log_sources s;
    assert_int_equal(log_sources_parse(state_json, strlen(state_json), "all", LOG_SOURCES_BOTH, &s),
                     0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.items[0].id, 0); /* id order */
    assert_string_equal(s.items[0].path, "/l/api.log");
    assert_true(s.items[0].json);
    assert_int_equal(s.items[1].id, 1);
    assert_string_equal(s.items[1].path, "/l/web-out-1.log");
    assert_int_equal(s.items[1].stream, LOG_STREAM_OUT);
    assert_string_equal(s.items[2].path, "/srv/web/rel/err.log");
    assert_int_equal(s.items[2].stream, LOG_STREAM_ERR);
    assert_int_equal(s.items[2].created_at, 90);
    assert_string_equal(s.items[3].path, "/l/q.log"); /* combined only: once */
    assert_string_equal(s.items[4].path, "/l/web-out-3.log");
    assert_string_equal(s.items[5].path, "/l/web-error-3.log");
    assert_true(log_sources_find(&s, "/l/q.log") == 3);
    assert_true(log_sources_find(&s, "/nope") == -1);
    log_sources_free(&s);

    assert_int_equal(log_sources_parse(state_json, strlen(state_json), "web", LOG_SOURCES_ERR, &s),
                     0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.items[0].app_name, "web");
    assert_string_equal(s.items[1].path, "/l/web-error-3.log");
    log_sources_free(&s);

    assert_int_equal(
        log_sources_parse(state_json, strlen(state_json), "front", LOG_SOURCES_OUT, &s), 0);
    assert_int_equal(s.n, 2);
    log_sources_free(&s);

    assert_int_equal(
        log_sources_parse(state_json, strlen(state_json), "default", LOG_SOURCES_BOTH, &s), 0);
    assert_int_equal(s.n, 2); /* api (merged: once) and quiet */
    log_sources_free(&s);

    assert_int_equal(log_sources_parse(state_json, strlen(state_json), "4", LOG_SOURCES_BOTH, &s),
                     0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.items[0].id, 4);
    log_sources_free(&s);

    assert_int_equal(
        log_sources_parse(state_json, strlen(state_json), "nope", LOG_SOURCES_BOTH, &s), -ENOENT);
    assert_int_equal(log_sources_parse(state_json, strlen(state_json), "9", LOG_SOURCES_BOTH, &s),
                     -ENOENT);
    assert_int_equal(log_sources_parse("", 0, "all", LOG_SOURCES_BOTH, &s), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(log_sources_parse("", 0, "web", LOG_SOURCES_BOTH, &s), -ENOENT);
    assert_int_equal(log_sources_parse("[1]", 3, "all", LOG_SOURCES_BOTH, &s), -EINVAL);
    assert_int_equal(log_sources_parse("{\"apps\":", 8, "all", LOG_SOURCES_BOTH, &s), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tail_start),
        cmocka_unit_test(test_tail_long_lines),
        cmocka_unit_test(test_list_rotated),
        cmocka_unit_test(test_follow_new_lines_and_partial),
        cmocka_unit_test(test_follow_rotations),
        cmocka_unit_test(test_follow_external_move_and_reopen),
        cmocka_unit_test(test_follow_truncation),
        cmocka_unit_test(test_follow_missing_file_appears),
        cmocka_unit_test(test_tail_reaches_into_rotated_files),
        cmocka_unit_test(test_follow_long_line_in_pieces),
        cmocka_unit_test(test_sources),
    };
    return cmocka_run_group_tests(tests, log_test_setup_dir, log_test_teardown_dir);
}
