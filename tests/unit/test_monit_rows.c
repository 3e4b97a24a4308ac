/* Unit tests for cli/monit/rows.c and cli/monit/history.c, the pure parts
 * of `drover monit`: rows sorted with a header per app of several
 * instances, statuses classed through the status enum, histories and folds
 * carried from one list reply to the next, sparkline levels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/monit/history.h"
#include "cli/monit/rows.h"
#include "proto/status.h"

static json_t *proc(const char *name, int id, const char *status, double cpu, int memory)
{
    return json_pack("{s:s, s:i, s:s, s:i, s:f, s:i, s:i, s:i}", "name", name, "id", id, "status",
                     status, "pid", status_from_name(status) == STATUS_ONLINE ? 1000 + id : 0,
                     "cpu", cpu, "memory", memory, "restarts", id, "uptime_ms", 1000 * id);
}

static void test_rows_and_headers(void **state)
{
    (void)state;
    struct monit_rows rows = {0};
    json_t *list = json_array();
    json_array_append_new(list, proc("web", 3, "online", 2.0, 100));
    json_array_append_new(list, proc("api", 0, "errored", 0, 0));
    json_array_append_new(list, proc("web", 2, "online", 1.5, 50));
    assert_int_equal(rows_update(&rows, list, 0), 0);
    json_decref(list);

    assert_int_equal(rows.n, 4); /* api, the web header, web 2, web 3 */
    assert_string_equal(rows.items[0].name, "api");
    assert_int_equal(rows.items[0].grouped, 0);
    assert_int_equal(rows.items[0].state, STATUS_ERRORED);
    assert_int_equal(rows.items[0].status_class, ROWS_BAD);

    const struct monit_row *h = &rows.items[1];
    assert_int_equal(h->id, -1);
    assert_int_equal(h->n_instances, 2);
    assert_int_equal(h->n_online, 2);
    assert_string_equal(h->status, "online");
    assert_int_equal(h->state, STATUS_ONLINE);
    assert_int_equal(h->status_class, ROWS_OK);
    assert_true(h->cpu > 3.4 && h->cpu < 3.6);
    assert_int_equal(h->memory, 150);
    assert_int_equal(h->restarts, 5);
    assert_int_equal(rows.items[2].id, 2);
    assert_int_equal(rows.items[3].id, 3);
    assert_true(rows.items[2].grouped && rows.items[3].grouped);

    char target[ROWS_TARGET_MAX];
    rows_target(&rows.items[0], target);
    assert_string_equal(target, "api"); /* an app's only row aims at the app */
    rows_target(&rows.items[3], target);
    assert_string_equal(target, "3"); /* an instance under a header, at its id */
    assert_int_equal(rows_find(&rows, "web", -1), 1);
    assert_int_equal(rows_find(&rows, "web", 3), 3);
    assert_int_equal(rows_find(&rows, "web", 9), -1);
    rows_free(&rows);
}

static void test_mixed_and_unknown_statuses(void **state)
{
    (void)state;
    struct monit_rows rows = {0};
    json_t *list = json_array();
    json_array_append_new(list, proc("web", 0, "online", 0, 0));
    json_array_append_new(list, proc("web", 1, "waiting restart", 0, 0));
    json_array_append_new(list, proc("new", 2, "hibernating", 0, 0));
    assert_int_equal(rows_update(&rows, list, 0), 0);
    json_decref(list);

    assert_string_equal(rows.items[0].name, "new");
    assert_int_equal(rows.items[0].state, -1); /* a word this client does not know */
    assert_string_equal(rows.items[0].status, "hibernating");
    assert_int_equal(rows.items[0].status_class, ROWS_BUSY);
    assert_int_equal(rows.items[2].state, STATUS_ONLINE);
    assert_int_equal(rows.items[3].state, STATUS_WAITING);
    assert_int_equal(rows.items[3].status_class, ROWS_BUSY);
    const struct monit_row *h = &rows.items[1];
    assert_int_equal(h->state, -1);
    assert_string_equal(h->status, "online 1/2");
    assert_int_equal(h->status_class, ROWS_BUSY);
    rows_free(&rows);
}

static void test_history_and_fold_carried(void **state)
{
    (void)state;
    struct monit_rows rows = {0};
    for (uint64_t seq = 0; seq < 3; seq++) {
        json_t *list = json_array();
        json_array_append_new(list, proc("web", 0, "online", 10.0 * (double)seq, 100));
        json_array_append_new(list, proc("web", 1, "online", 0, 100));
        if (seq == 2) /* a scale up: the new row starts its history */
            json_array_append_new(list, proc("web", 2, "online", 0, 100));
        assert_int_equal(rows_update(&rows, list, seq), 0);
        json_decref(list);
        if (seq == 0)
            rows.items[0].folded = 1; /* the header */
    }
    assert_int_equal(rows.n, 4);
    assert_int_equal(rows.items[0].folded, 1);
    assert_false(rows_visible(&rows, 1));
    assert_true(rows_visible(&rows, 0));
    assert_int_equal(rows.items[1].hist->count, 3);
    assert_int_equal(rows.items[3].hist->count, 1);

    int levels[3];
    history_levels(rows.items[1].hist, HISTORY_CPU, 2, 1, levels, 3);
    assert_int_equal(levels[0], 0); /* 0 % */
    assert_int_equal(levels[1], 0); /* 10 % of the 100 % scale */
    assert_int_equal(levels[2], 1); /* 20 % */
    history_levels(rows.items[3].hist, HISTORY_CPU, 2, 1, levels, 3);
    assert_int_equal(levels[0], -1); /* before it existed */
    assert_int_equal(levels[1], -1);
    assert_int_equal(levels[2], 0);
    rows_free(&rows);
    assert_int_equal(rows.n, 0);
}

static void test_history_levels(void **state)
{
    (void)state;
    struct history *h = history_new();
    assert_non_null(h);
    for (uint64_t seq = 0; seq < 8; seq++)
        history_add(h, seq, 0, (seq + 1) * 100);
    int levels[4];
    history_levels(h, HISTORY_MEMORY, 7, 2, levels, 4); /* buckets of two samples */
    assert_int_equal(levels[3], HISTORY_LEVELS - 1);    /* the largest is full */
    assert_true(levels[0] < levels[1] && levels[1] < levels[2] && levels[2] < levels[3]);
    history_add(h, 5, 0, 0); /* an older number is ignored */
    assert_int_equal(h->last_seq, 7);
    history_add(h, 10, 0, 0); /* a gap starts again */
    assert_int_equal(h->count, 1);
    assert_int_equal(h->first_seq, 10);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_and_headers),
        cmocka_unit_test(test_mixed_and_unknown_statuses),
        cmocka_unit_test(test_history_and_fold_carried),
        cmocka_unit_test(test_history_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
