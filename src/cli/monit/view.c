/* view.c - drawing `drover monit` with ncurses (view.h). */
#include "cli/monit/view.h"
#include "base/macros.h"
#include "base/timeutil.h"
#include "cli/monit/history.h"
#include "cli/monit/sampler.h"

#include <curses.h>
#include <errno.h>
#include <term.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

enum { PAIR_OK = 1, PAIR_BAD, PAIR_BUSY, PAIR_SPARK };

/* Column widths that do not depend on the screen. */
#define W_ID 4
#define W_STATUS 10
#define W_CPU 6
#define W_MEM 8
#define W_RESTARTS 4
#define W_UPTIME 6
#define SPARK_MIN 8        /* narrower than this, no sparkline */
#define SPARK_MEM_FROM 110 /* screen width from which memory gets one too */
#define LOG_MIN_ROWS 3

static SCREEN *screen;
static int utf8;

struct layout {
    int h, w;
    int list_y, list_h;
    int logs_title_y, logs_y, logs_h;
    int status_y, help_y;
    int name_w;
    int uptime;           /* the uptime column fits */
    int spark_x, spark_w; /* CPU sparkline */
    int mem_x, mem_w;     /* memory sparkline, mem_w 0 when none */
    unsigned per_cell;    /* samples per sparkline cell */
};

static int name_width(const struct monit *m)
{
    int w = 8;
    for (size_t i = 0; i < m->rows.n; i++) {
        int n = (int)strlen(m->rows.items[i].name) + (m->rows.items[i].grouped ? 2 : 0);
        w = MAX(w, n);
    }
    return MIN(w, 24);
}

static void compute_layout(const struct monit *m, size_t n_visible, struct layout *L)
{
    memset(L, 0, sizeof(*L));
    L->h = LINES;
    L->w = COLS;
    /* title, header, logs title, status, help: the rest is list and logs */
    int area = MAX(L->h - 5, 1);
    int list_max = MAX(area - MAX(LOG_MIN_ROWS, area / 3), 1);
    L->list_y = 2;
    L->list_h = (int)MIN(MAX(n_visible, (size_t)1), (size_t)list_max);
    L->logs_title_y = L->list_y + L->list_h;
    L->logs_y = L->logs_title_y + 1;
    L->logs_h = MAX(area - L->list_h, 0);
    L->status_y = L->h - 2;
    L->help_y = L->h - 1;

    /* marker, id, name, status, cpu, mem, restarts (+ uptime), a space each */
    L->name_w = name_width(m);
    L->uptime = 1;
    int fixed = 1 + W_ID + 1 + W_STATUS + 1 + W_CPU + 1 + W_MEM + 1 + W_RESTARTS + 1;
    int spark = L->w - fixed - L->name_w - 1 - (W_UPTIME + 1);
    if (spark < SPARK_MIN) { /* uptime goes first, then name width */
        L->uptime = 0;
        spark += W_UPTIME + 1;
    }
    if (spark < SPARK_MIN) {
        int give = MIN(SPARK_MIN - spark, L->name_w - 8);
        L->name_w -= give;
        spark += give;
    }
    L->spark_x = fixed + L->name_w + 1 + (L->uptime ? W_UPTIME + 1 : 0);
    L->spark_w = spark >= SPARK_MIN ? spark : 0;
    if (L->w >= SPARK_MEM_FROM && L->spark_w >= 2 * SPARK_MIN + 1) {
        L->mem_w = (L->spark_w - 1) / 2;
        L->spark_w -= L->mem_w + 1;
        L->mem_x = L->spark_x + L->spark_w + 1;
    }
    unsigned cells = (unsigned)MAX(L->spark_w, 1);
    L->per_cell = (HISTORY_SAMPLES + cells - 1) / cells;
}

/* Writes text at (y, x) in at most width columns: control characters and
 * invalid bytes as '?', tabs as spaces; with pad, spaces up to width.
 * Returns the columns written. */
static int put(int y, int x, int width, const char *text, int pad)
{
    char out[2048];
    size_t o = 0, left = strlen(text);
    int cols = 0;
    mbstate_t st;
    memset(&st, 0, sizeof(st));
    while (left > 0 && cols < width && o + MB_LEN_MAX < sizeof(out)) {
        wchar_t wc = (unsigned char)*text;
        size_t n = 1;
        if (utf8) {
            n = mbrtowc(&wc, text, left, &st);
            if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
                memset(&st, 0, sizeof(st));
                wc = L'?';
                n = 1;
            }
        } else if (wc >= 0x80) {
            wc = L'?';
        }
        int w;
        if (wc == L'\t')
            wc = L' ';
        if (iswcntrl((wint_t)wc) || (w = wcwidth(wc)) < 0) {
            wc = L'?';
            w = 1;
        }
        if (cols + w > width)
            break;
        if (wc == L'?' || wc == L' ' || n == 1)
            out[o++] = (char)wc;
        else
            memcpy(out + o, text, n), o += n;
        cols += w;
        text += n;
        left -= n;
    }
    mvaddnstr(y, x, out, (int)o);
    for (; pad && cols < width; cols++)
        addch(' ');
    return cols;
}

static int put_attr(int y, int x, int width, const char *text, int pad, attr_t attr)
{
    attron(attr);
    int n = put(y, x, width, text, pad);
    attroff(attr);
    return n;
}

static attr_t class_attr(const struct monit *m, int cls)
{
    switch (cls) {
    case ROWS_OK:
        return m->color ? COLOR_PAIR(PAIR_OK) : A_NORMAL;
    case ROWS_BAD:
        return m->color ? COLOR_PAIR(PAIR_BAD) | A_BOLD : A_BOLD;
    case ROWS_BUSY:
        return m->color ? COLOR_PAIR(PAIR_BUSY) : A_NORMAL;
    default:
        return A_DIM;
    }
}

static void draw_sparkline(const struct monit *m, const struct layout *L, int y, int x, int w,
                           const struct monit_row *r, enum history_series series)
{
    static const char *const blocks[HISTORY_LEVELS] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    static const char ascii[HISTORY_LEVELS + 1] = "_.:-=+*#";
    int levels[512];
    char line[512 * 3 + 1];
    size_t o = 0;
    w = MIN(w, (int)ARRAY_SIZE(levels));
    if (!r->hist || w <= 0 || m->seq == 0)
        return;
    history_levels(r->hist, series, m->seq - 1, L->per_cell, levels, (unsigned)w);
    for (int i = 0; i < w; i++) {
        if (levels[i] < 0)
            line[o++] = ' ';
        else if (utf8)
            o += (size_t)sprintf(line + o, "%s", blocks[levels[i]]);
        else
            line[o++] = ascii[levels[i]];
    }
    line[o] = '\0';
    if (m->color)
        attron(COLOR_PAIR(PAIR_SPARK));
    mvaddstr(y, x, line);
    if (m->color)
        attroff(COLOR_PAIR(PAIR_SPARK));
}

static void draw_title(const struct monit *m, const struct layout *L)
{
    int apps = 0, insts = 0, online = 0;
    double cpu = 0;
    uint64_t mem = 0;
    for (size_t i = 0; i < m->rows.n; i++) {
        const struct monit_row *r = &m->rows.items[i];
        apps += r->id < 0 || !r->grouped; /* a header, or an app's only row */
        if (r->id < 0)
            continue;
        insts++;
        online += r->status_class == ROWS_OK;
        cpu += r->cpu;
        mem += r->memory;
    }
    char memtext[32], text[256];
    format_bytes_short(mem, memtext, sizeof(memtext));
    snprintf(text, sizeof(text),
             " drover monit   %d app%s, %d instance%s, %d online   cpu %.1f%%   mem %s", apps,
             apps == 1 ? "" : "s", insts, insts == 1 ? "" : "s", online, cpu, memtext);
    put_attr(0, 0, L->w, text, 1, A_REVERSE);
}

static void draw_header(const struct layout *L)
{
    char text[64];
    int x = 1;
    attron(A_BOLD);
    mvaddstr(1, 0, " ");
    put(1, x, W_ID, "  id", 1);
    x += W_ID + 1;
    put(1, x, L->name_w, "name", 1);
    x += L->name_w + 1;
    put(1, x, W_STATUS, "status", 1);
    x += W_STATUS + 1;
    put(1, x, W_CPU, "   cpu", 1);
    x += W_CPU + 1;
    put(1, x, W_MEM, "     mem", 1);
    x += W_MEM + 1;
    put(1, x, W_RESTARTS, utf8 ? "   ↺" : " rst", 1);
    x += W_RESTARTS + 1;
    if (L->uptime)
        put(1, x, W_UPTIME, "uptime", 1);
    unsigned minutes = (unsigned)((uint64_t)L->spark_w * L->per_cell / 60);
    if (L->spark_w) {
        snprintf(text, sizeof(text), "cpu, last %u min", minutes);
        put(1, L->spark_x, L->spark_w, L->spark_w >= (int)strlen(text) ? text : "cpu", 1);
    }
    if (L->mem_w) {
        snprintf(text, sizeof(text), "mem, last %u min", minutes);
        put(1, L->mem_x, L->mem_w, text, 1);
    }
    attroff(A_BOLD);
}

static void draw_row(const struct monit *m, const struct layout *L, int y,
                     const struct monit_row *r, int selected)
{
    char text[256];
    int x = 1;
    attr_t base = selected ? A_REVERSE : A_NORMAL;
    attron(base);
    mvhline(y, 0, ' ' | base, L->w);
    mvaddch(y, 0, selected ? '>' : ' ');
    if (r->id >= 0)
        snprintf(text, sizeof(text), "%*lld", W_ID, (long long)r->id);
    else
        snprintf(text, sizeof(text), "%*s", W_ID, r->folded ? "+" : "-");
    put(y, x, W_ID, text, 1);
    x += W_ID + 1;
    snprintf(text, sizeof(text), "%s%s", r->grouped ? "  " : "", r->name);
    put_attr(y, x, L->name_w, text, 1, r->id < 0 ? A_BOLD : A_NORMAL);
    x += L->name_w + 1;
    /* "waiting restart" is cut at its space rather than in the middle */
    int sw = (int)strlen(r->status) <= W_STATUS ? W_STATUS : (int)strcspn(r->status, " ");
    put_attr(y, x, MIN(sw, W_STATUS), r->status, 0, class_attr(m, r->status_class));
    x += W_STATUS + 1;
    snprintf(text, sizeof(text), r->cpu < 1000 ? "%5.1f%%" : "%5.0f%%", r->cpu);
    put(y, x, W_CPU, text, 1);
    x += W_CPU + 1;
    char mem[32];
    snprintf(text, sizeof(text), "%*s", W_MEM, format_bytes_short(r->memory, mem, sizeof(mem)));
    put(y, x, W_MEM, text, 1);
    x += W_MEM + 1;
    snprintf(text, sizeof(text), "%*lld", W_RESTARTS, (long long)r->restarts);
    put(y, x, W_RESTARTS, text, 1);
    x += W_RESTARTS + 1;
    if (L->uptime) {
        if (r->pid > 0)
            format_duration_short(r->uptime_ms, text, sizeof(text));
        else
            snprintf(text, sizeof(text), "-");
        put(y, x, W_UPTIME, text, 1);
    }
    draw_sparkline(m, L, y, L->spark_x, L->spark_w, r, HISTORY_CPU);
    if (L->mem_w)
        draw_sparkline(m, L, y, L->mem_x, L->mem_w, r, HISTORY_MEMORY);
    attroff(base);
}

static void draw_list(struct monit *m, const struct layout *L, const size_t *vis, size_t n)
{
    if (n == 0) {
        put_attr(L->list_y, 2, L->w - 2, "no processes (start one with: drover start <script>)", 0,
                 A_DIM);
        return;
    }
    long sel = monit_selected(m);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++)
        if ((long)vis[i] == sel)
            pos = i;
    size_t page = (size_t)L->list_h;
    if (pos < m->top)
        m->top = pos;
    if (pos >= m->top + page)
        m->top = pos - page + 1;
    if (m->top + page > n)
        m->top = n > page ? n - page : 0;
    for (size_t i = m->top; i < n && i < m->top + page; i++)
        draw_row(m, L, L->list_y + (int)(i - m->top), &m->rows.items[vis[i]], (long)vis[i] == sel);
}

static void draw_logs(const struct monit *m, const struct layout *L)
{
    char title[ROWS_TARGET_MAX + 64];
    long sel = monit_selected(m);
    if (L->logs_title_y >= L->status_y)
        return;
    mvhline(L->logs_title_y, 0, ACS_HLINE, L->w);
    if (sel < 0)
        return;
    const struct monit_row *r = &m->rows.items[sel];
    if (r->grouped)
        snprintf(title, sizeof(title), " logs: %s #%lld ", r->name, (long long)r->id);
    else
        snprintf(title, sizeof(title), " logs: %s ", r->name);
    int title_end = 2 + put_attr(L->logs_title_y, 2, L->w - 4, title, 0, A_BOLD);
    /* the connections of the selected row, where known (docs: Connection stats) */
    char conns[128];
    if (r->conns_open >= 0 || r->accepted >= 0) {
        char open[32] = "", acc[64] = "";
        if (r->conns_open >= 0)
            snprintf(open, sizeof(open), "%lld open", (long long)r->conns_open);
        if (r->accepted >= 0)
            snprintf(acc, sizeof(acc), "%s%lld accepted, %.1f/s", open[0] ? ", " : "",
                     (long long)r->accepted, r->accept_rate);
        snprintf(conns, sizeof(conns), " connections: %s%s ", open, acc);
        put_attr(L->logs_title_y, title_end + 1, L->w - title_end - 3, conns, 0, A_NORMAL);
    }
    const struct log_tail *t = &m->logs;
    size_t count = t->count, rows = (size_t)L->logs_h;
    size_t first = count > rows ? count - rows : 0;
    for (size_t i = first; i < count; i++) {
        const struct log_tail_line *line = log_tail_line(t, i);
        int y = L->logs_y + (int)(i - first), x = 0;
        if (t->several) {
            char prefix[32];
            snprintf(prefix, sizeof(prefix), "%lld| ", (long long)line->id);
            x = put_attr(y, 0, L->w, prefix, 0, A_DIM);
        }
        attr_t a = !line->err ? A_NORMAL : m->color ? COLOR_PAIR(PAIR_BAD) : A_BOLD;
        put_attr(y, x, L->w - x, line->text, 0, a);
    }
}

static void draw_status(struct monit *m, const struct layout *L)
{
    char text[600], problem[200];
    if (m->confirm != MONIT_NONE) {
        long i = rows_find(&m->rows, m->confirm_name, m->confirm_id);
        char what[300] = "";
        if (i >= 0)
            monit_action_text(m->confirm, &m->rows.items[i], what, sizeof(what));
        snprintf(text, sizeof(text), " %s? press y to confirm, any other key cancels ", what);
        put_attr(L->status_y, 0, L->w, text, 0,
                 A_BOLD | (m->color ? COLOR_PAIR(PAIR_BUSY) : A_REVERSE));
    } else if (sampler_problem(m->sampler, problem, sizeof(problem))) {
        put_attr(L->status_y, 1, L->w - 1, problem, 0,
                 m->color ? COLOR_PAIR(PAIR_BAD) | A_BOLD : A_BOLD);
    } else if (m->message[0]) {
        put_attr(L->status_y, 1, L->w - 1, m->message, 0,
                 !m->message_bad ? A_NORMAL
                 : m->color      ? COLOR_PAIR(PAIR_BAD) | A_BOLD
                                 : A_BOLD);
    }
}

/* The help line: keys reversed, then what they do, as many as fit. */
static void draw_help(const struct layout *L, const char *const *pairs)
{
    int x = 1;
    move(L->help_y, 0);
    for (size_t i = 0; pairs[i]; i += 2) {
        int need = (int)strlen(pairs[i]) + 1 + (int)strlen(pairs[i + 1]) + 2;
        if (x + need > L->w - 1)
            break;
        x += put_attr(L->help_y, x, L->w - 1 - x, pairs[i], 0, A_REVERSE);
        x += put(L->help_y, x + 1, L->w - 2 - x, pairs[i + 1], 0) + 3;
    }
}

static const char help_text[] =
    "drover monit: every app and instance, figures from the daemon every second\n"
    "\n"
    "  Up/Down, j/k       select a row       PgUp/PgDn, Home/End  move by pages\n"
    "  Left/Right, space  fold or unfold an app's instances\n"
    "  r                  restart (asks first)\n"
    "  R                  reload, one instance after another (asks first)\n"
    "  s                  stop (asks first)\n"
    "  S                  start what does not run\n"
    "  + / -              one instance more / less (less asks first)\n"
    "  d, Enter           describe\n"
    "  ^L                 redraw        ?  this help        q, ^C  quit\n"
    "\n"
    "Keys act on the selected row: an app (its header, or its only instance)\n"
    "or one instance. They run the drover command (drover restart <app> ...),\n"
    "whose result shows on the status line.\n"
    "\n"
    "cpu: percent of one core, of the whole process tree; mem: its resident\n"
    "memory; restarts; uptime. Sparklines: the last minutes, kept by monit\n"
    "while it runs (one sample a second). The log pane follows the selected\n"
    "row's out and err files (err lines in red, or bold without colours).\n";

/* Lines of text from line first, in rows y0 to y1 - 1. */
static void draw_text(const struct layout *L, const char *text, size_t first, int y0, int y1)
{
    size_t line = 0;
    for (const char *p = text; *p && y0 < y1; line++) {
        size_t n = strcspn(p, "\n");
        if (line >= first) {
            char buf[1024];
            snprintf(buf, sizeof(buf), "%.*s", (int)MIN(n, sizeof(buf) - 1), p);
            put(y0++, 1, L->w - 2, buf, 0);
        }
        p += n + (p[n] == '\n');
    }
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n + 1;
}

static void draw_overlay(struct monit *m, const struct layout *L)
{
    static const char *const keys[] = {"Up/Down", "scroll", "PgUp/PgDn", "page",
                                       "q/Esc",   "close",  NULL};
    const char *text = m->overlay == MONIT_HELP ? help_text
                       : m->describe_text       ? m->describe_text
                                                : "loading...";
    const char *title = m->overlay == MONIT_HELP ? "drover monit: keys" : m->describe_title;
    char head[ROWS_TARGET_MAX + 32];
    snprintf(head, sizeof(head), " %s", title);
    put_attr(0, 0, L->w, head, 1, A_REVERSE);
    size_t n_lines = count_lines(text), page = (size_t)MAX(L->h - 3, 1);
    if (m->overlay_top + page > n_lines)
        m->overlay_top = n_lines > page ? n_lines - page : 0;
    draw_text(L, text, m->overlay_top, 1, L->h - 2);
    draw_status(m, L);
    draw_help(L, keys);
}

void view_draw(struct monit *m)
{
    static const char *const keys[] = {"r", "restart", "R", "reload", "+/-", "scale",
                                       "s", "stop",    "S", "start",  "d",   "describe",
                                       "?", "help",    "q", "quit",   NULL};
    size_t *vis;
    size_t n = monit_visible(m, &vis);
    struct layout L;
    compute_layout(m, n, &L);
    erase();
    if (m->overlay != MONIT_MAIN) {
        draw_overlay(m, &L);
    } else {
        draw_title(m, &L);
        draw_header(&L);
        draw_list(m, &L, vis, n);
        draw_logs(m, &L);
        draw_status(m, &L);
        draw_help(&L, keys);
    }
    free(vis);
    refresh();
    m->dirty = 0;
}

int view_page_rows(const struct monit *m)
{
    size_t *vis;
    size_t n = monit_visible(m, &vis);
    free(vis);
    struct layout L;
    compute_layout(m, n, &L);
    return m->overlay == MONIT_MAIN ? L.list_h : MAX(L.h - 3, 1);
}

int view_start(struct monit *m)
{
    utf8 = m->utf8;
    /* asked first: a newterm that fails keeps what it allocated */
    int err = 0;
    if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
        return -ENOTTY;
    del_curterm(cur_term);
    screen = newterm(NULL, stdout, stdin);
    if (!screen)
        return -ENOTTY;
    set_term(screen);
    cbreak(); /* ^C stays a signal, read by the loop */
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(50);
    curs_set(0);
    leaveok(stdscr, TRUE);
    if (m->color && has_colors() && start_color() == OK) {
        use_default_colors();
        init_pair(PAIR_OK, COLOR_GREEN, -1);
        init_pair(PAIR_BAD, COLOR_RED, -1);
        init_pair(PAIR_BUSY, COLOR_YELLOW, -1);
        init_pair(PAIR_SPARK, COLOR_CYAN, -1);
    } else {
        m->color = 0;
    }
    return 0;
}

void view_resize(struct monit *m)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resize_term(ws.ws_row, ws.ws_col);
    clearok(curscr, TRUE);
    m->dirty = 1;
}

int view_key(void)
{
    int key = getch();
    return key == ERR ? -1 : key;
}

void view_repaint(void)
{
    clearok(curscr, TRUE);
}

void view_end(void)
{
    if (!screen)
        return;
    endwin();
    delscreen(screen);
    screen = NULL;
}
