/* keys.c - the keys of `drover monit` (keys.h). */
#include "cli/monit/keys.h"
#include "base/macros.h"
#include "cli/monit/view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#define KEY_CTRL_L 12
#define KEY_ESC 27

/* Moves the selection by delta visible rows, stopping at the first and the
 * last. */
static void move_by(struct monit *m, long delta)
{
    size_t *vis;
    size_t n = monit_visible(m, &vis);
    if (n == 0)
        return;
    long sel = monit_selected(m), pos = 0;
    for (size_t i = 0; i < n; i++)
        if ((long)vis[i] == sel)
            pos = (long)i;
    pos += delta;
    pos = pos < 0 ? 0 : pos >= (long)n ? (long)n - 1 : pos;
    monit_select(m, vis[pos]);
    free(vis);
}

/* Left folds the selected app (from one of its instances too), right
 * unfolds it, space toggles. */
static void fold(struct monit *m, int key)
{
    long sel = monit_selected(m);
    if (sel < 0)
        return;
    long h = rows_find(&m->rows, m->rows.items[sel].name, -1);
    if (h < 0)
        return; /* one instance: nothing to fold */
    struct monit_row *head = &m->rows.items[h];
    head->folded = key == KEY_LEFT ? 1 : key == KEY_RIGHT ? 0 : !head->folded;
    if (head->folded)
        monit_select(m, (size_t)h);
}

static void ask(struct monit *m, enum monit_action action)
{
    long sel = monit_selected(m);
    if (sel < 0)
        return;
    m->confirm = action;
    snprintf(m->confirm_name, sizeof(m->confirm_name), "%s", m->rows.items[sel].name);
    m->confirm_id = m->rows.items[sel].id;
}

static void run(struct monit *m, enum monit_action action)
{
    long sel = monit_selected(m);
    if (sel >= 0)
        monit_run(m, action, &m->rows.items[sel]);
}

static void answer(struct monit *m, int key)
{
    enum monit_action action = m->confirm;
    long i = rows_find(&m->rows, m->confirm_name, m->confirm_id);
    m->confirm = MONIT_NONE;
    if (key != 'y' && key != 'Y')
        monit_say(m, 0, "cancelled");
    else if (i < 0)
        monit_say(m, 1, "%s is gone", m->confirm_name);
    else
        monit_run(m, action, &m->rows.items[i]);
}

static void overlay_key(struct monit *m, int key)
{
    size_t page = (size_t)view_page_rows(m);
    switch (key) {
    case KEY_UP:
    case 'k':
        m->overlay_top -= m->overlay_top > 0;
        break;
    case KEY_DOWN:
    case 'j':
        m->overlay_top++; /* the view stops it at the end */
        break;
    case KEY_PPAGE:
        m->overlay_top = m->overlay_top > page ? m->overlay_top - page : 0;
        break;
    case KEY_NPAGE:
    case ' ':
        m->overlay_top += page;
        break;
    case KEY_HOME:
    case 'g':
        m->overlay_top = 0;
        break;
    case KEY_END:
    case 'G':
        m->overlay_top = (size_t)-1 / 2;
        break;
    case KEY_CTRL_L:
        view_repaint();
        break;
    case 'q':
    case 'Q':
    case KEY_ESC:
    case 'd':
    case '?':
    case '\r':
    case '\n':
    case KEY_ENTER:
        m->overlay = MONIT_MAIN;
        break;
    default:
        break;
    }
}

/* The action keys: those that stop or take something away ask first. */
static const struct {
    int key;
    enum monit_action action;
    int asks;
} action_keys[] = {
    {'r', MONIT_RESTART, 1},    {'R', MONIT_RELOAD, 1}, {'s', MONIT_STOP, 1},
    {'-', MONIT_SCALE_DOWN, 1}, {'S', MONIT_START, 0},  {'+', MONIT_SCALE_UP, 0},
    {'=', MONIT_SCALE_UP, 0},
};

/* Runs, or asks about, the action of key. Returns 0 when key is no action
 * key. */
static int action_key(struct monit *m, int key)
{
    for (size_t i = 0; i < ARRAY_SIZE(action_keys); i++) {
        if (action_keys[i].key != key)
            continue;
        if (action_keys[i].asks)
            ask(m, action_keys[i].action);
        else
            run(m, action_keys[i].action);
        return 1;
    }
    return 0;
}

void keys_handle(struct monit *m, int key)
{
    long page = view_page_rows(m);
    m->dirty = 1;
    if (m->confirm != MONIT_NONE) {
        answer(m, key);
        return;
    }
    if (m->overlay != MONIT_MAIN) {
        overlay_key(m, key);
        return;
    }
    if (action_key(m, key))
        return;
    long sel = monit_selected(m);
    char target[ROWS_TARGET_MAX];
    switch (key) {
    case 'q':
    case 'Q':
        m->quit = 1;
        break;
    case KEY_UP:
    case 'k':
        move_by(m, -1);
        break;
    case KEY_DOWN:
    case 'j':
        move_by(m, 1);
        break;
    case KEY_PPAGE:
        move_by(m, -page);
        break;
    case KEY_NPAGE:
        move_by(m, page);
        break;
    case KEY_HOME:
    case 'g':
        move_by(m, -(long)m->rows.n);
        break;
    case KEY_END:
    case 'G':
        move_by(m, (long)m->rows.n);
        break;
    case KEY_LEFT:
    case KEY_RIGHT:
    case ' ':
        fold(m, key);
        break;
    case 'd':
    case '\r':
    case '\n':
    case KEY_ENTER:
        if (sel >= 0) {
            rows_target(&m->rows.items[sel], target);
            monit_describe(m, target);
        }
        break;
    case '?':
    case 'h':
        m->overlay = MONIT_HELP;
        m->overlay_top = 0;
        break;
    case KEY_CTRL_L:
        view_repaint();
        break;
    case KEY_ESC:
        m->message[0] = '\0';
        break;
    default:
        break;
    }
}
