/* render.c - the ls table and describe output. */
#include "cli/render.h"
#include "base/timeutil.h"
#include "base/macros.h"
#include "base/strbuf.h"
#include "cli/proc_sort.h"
#include "proto/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COLS 9

static const char *color_for_status(const char *s)
{
    switch (status_from_name(s)) {
    case STATUS_ONLINE:
        return "\033[32m";
    case STATUS_ERRORED:
        return "\033[31m";
    case STATUS_STOPPED:
        return "\033[90m";
    default:
        return "\033[33m";
    }
}

/* Display width of UTF-8 text (one column per code point is enough here). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

static void line(struct strbuf *out, const size_t *w, const char *l, const char *m, const char *r)
{
    strbuf_puts(out, l);
    for (int i = 0; i < COLS; i++) {
        for (size_t k = 0; k < w[i] + 2; k++)
            strbuf_puts(out, "─");
        strbuf_puts(out, i == COLS - 1 ? r : m);
    }
    strbuf_putc(out, '\n');
}

static void cell(struct strbuf *out, const char *text, size_t w, const char *pre, const char *post)
{
    strbuf_putc(out, ' ');
    strbuf_puts(out, pre);
    strbuf_puts(out, text);
    strbuf_puts(out, post);
    for (size_t k = width(text); k < w; k++)
        strbuf_putc(out, ' ');
    strbuf_puts(out, " │");
}

/* The numeric cells of one row (the text cells point into the row). */
struct row_cells {
    char id[24], pid[24], uptime[24], restarts[24], cpu[24], mem[24];
};

static void format_cells(const struct ls_row *r, struct row_cells *c)
{
    snprintf(c->id, sizeof(c->id), "%lld", r->id);
    snprintf(c->pid, sizeof(c->pid), "%lld", r->pid);
    if (r->pid > 0)
        format_duration_short(r->uptime_ms, c->uptime, sizeof(c->uptime));
    else
        snprintf(c->uptime, sizeof(c->uptime), "0");
    snprintf(c->restarts, sizeof(c->restarts), "%lld", r->restarts);
    snprintf(c->cpu, sizeof(c->cpu), "%.0f%%", r->cpu);
    format_bytes_short((uint64_t)(r->memory > 0 ? r->memory : 0), c->mem, sizeof(c->mem));
}

/* The row's cells in column order (formatted by format_cells). */
static void cell_texts(const struct ls_row *r, const struct row_cells *c, const char *cells[COLS])
{
    const char *v[COLS] = {c->id,       r->name,   r->mode, c->pid, c->uptime,
                           c->restarts, r->status, c->cpu,  c->mem};
    memcpy(cells, v, sizeof(v));
}

void render_rows(const struct cli *c, const struct ls_rows *rows)
{
    static const char *const head[COLS] = {"id", "name",   "mode", "pid", "uptime",
                                           "↺",  "status", "cpu",  "mem"};
    if (rows->n == 0) {
        printf("no processes (start one with: drover start <script>)\n");
        return;
    }
    struct row_cells *nums = malloc(rows->n * sizeof(*nums));
    if (!nums)
        return;
    size_t w[COLS];
    const char *cells[COLS];
    for (int i = 0; i < COLS; i++)
        w[i] = width(head[i]);
    for (size_t r = 0; r < rows->n; r++) {
        format_cells(&rows->rows[r], &nums[r]);
        cell_texts(&rows->rows[r], &nums[r], cells);
        for (int i = 0; i < COLS; i++)
            w[i] = MAX(w[i], width(cells[i]));
    }
    struct strbuf out = STRBUF_INIT;
    strbuf_reserve(&out, (rows->n + 4) * 160);
    line(&out, w, "┌", "┬", "┐");
    strbuf_puts(&out, "│");
    for (int i = 0; i < COLS; i++)
        cell(&out, head[i], w[i], "", "");
    strbuf_putc(&out, '\n');
    line(&out, w, "├", "┼", "┤");
    for (size_t r = 0; r < rows->n; r++) {
        cell_texts(&rows->rows[r], &nums[r], cells);
        strbuf_puts(&out, "│");
        for (int i = 0; i < COLS; i++) {
            const char *pre = "", *post = "";
            if (c->color && i == 6) {
                pre = color_for_status(cells[6]);
                post = "\033[0m";
            } else if (c->color && i == 1) {
                pre = "\033[1m";
                post = "\033[0m";
            }
            cell(&out, cells[i], w[i], pre, post);
        }
        strbuf_putc(&out, '\n');
    }
    line(&out, w, "└", "┴", "┘");
    fwrite(out.buf, 1, out.len, stdout);
    strbuf_free(&out);
    free(nums);
}

void render_table(const struct cli *c, json_t *processes)
{
    struct ls_rows rows;
    if (ls_rows_from_json(&rows, processes) < 0)
        return;
    ls_rows_sort(&rows, &PROC_SORT_BY_NAME);
    render_rows(c, &rows);
    ls_rows_free(&rows);
}

void render_mini(const struct cli *c, json_t *processes)
{
    size_t i;
    json_t *p;
    if (json_array_size(processes) == 0)
        printf("no processes (start one with: drover start <script>)\n");
    json_array_foreach(processes, i, p)
    {
        char buf[64];
        const char *status = json_string_value(json_object_get(p, "status"));
        json_int_t pid = json_integer_value(json_object_get(p, "pid"));
        json_t *watch = json_object_get(json_object_get(p, "config"), "watch");
        const char *err_log = json_string_value(json_object_get(p, "log_err"));
        printf("+--- %s%s%s\n", c->color ? "\033[1m" : "",
               json_string_value(json_object_get(p, "name")), c->color ? "\033[0m" : "");
        printf("namespace : %s\n", json_string_value(json_object_get(p, "namespace")));
        printf("pid : %lld\n", (long long)pid);
        printf("id : %lld\n", (long long)json_integer_value(json_object_get(p, "id")));
        printf("status : %s\n", status ? status : "?");
        printf("mode : %s\n", json_string_value(json_object_get(p, "mode")));
        printf("restarted : %lld\n", (long long)json_integer_value(json_object_get(p, "restarts")));
        if (pid > 0)
            format_duration_short(json_integer_value(json_object_get(p, "uptime_ms")), buf,
                                  sizeof(buf));
        printf("uptime : %s\n", pid > 0 ? buf : "0");
        format_bytes_short((uint64_t)json_integer_value(json_object_get(p, "memory")), buf,
                           sizeof(buf));
        printf("memory usage : %s\n", buf);
        printf("error log : %s\n", err_log ? err_log : "(off)");
        printf("watching : %s\n\n", watch && !json_is_false(watch) ? "yes" : "no");
    }
}

static void kv(const char *key, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void kv(const char *key, const char *fmt, ...)
{
    va_list ap;
    printf("  %-22s ", key);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static const char *s_or(json_t *p, const char *k, const char *def)
{
    const char *v = json_string_value(json_object_get(p, k));
    return v ? v : def;
}

static void time_text(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

void render_describe(const struct cli *c, json_t *p)
{
    char buf[128];
    const char *status = s_or(p, "status", "?");
    printf("%s%s%s (id %lld)\n", c->color ? "\033[1m" : "", s_or(p, "name", "?"),
           c->color ? "\033[0m" : "", (long long)json_integer_value(json_object_get(p, "id")));
    kv("status", "%s%s%s", c->color ? color_for_status(status) : "", status,
       c->color ? "\033[0m" : "");
    const char *reason = json_string_value(json_object_get(p, "reason"));
    if (reason && *reason)
        kv("reason", "%s", reason);
    kv("pid", "%lld", (long long)json_integer_value(json_object_get(p, "pid")));
    kv("supervisor pid", "%lld", (long long)json_integer_value(json_object_get(p, "sup_pid")));
    kv("mode", "%s (%lld instance%s, slot %lld)", s_or(p, "mode", "fork"),
       (long long)json_integer_value(json_object_get(p, "instances")),
       json_integer_value(json_object_get(p, "instances")) == 1 ? "" : "s",
       (long long)json_integer_value(json_object_get(p, "slot")));
    kv("namespace", "%s", s_or(p, "namespace", "default"));
    kv("restarts", "%lld", (long long)json_integer_value(json_object_get(p, "restarts")));
    kv("unstable restarts", "%lld",
       (long long)json_integer_value(json_object_get(p, "unstable_restarts")));
    format_duration_short(json_integer_value(json_object_get(p, "uptime_ms")), buf, sizeof(buf));
    kv("uptime", "%s", json_integer_value(json_object_get(p, "pid")) > 0 ? buf : "-");
    time_text(json_integer_value(json_object_get(p, "created_at")), buf, sizeof(buf));
    kv("created at", "%s", buf);
    json_t *ec = json_object_get(p, "exit_code");
    const char *es = json_string_value(json_object_get(p, "exit_signal"));
    if (json_is_integer(ec) || es) {
        char when[64];
        time_text(json_integer_value(json_object_get(p, "last_exit_at")), when, sizeof(when));
        if (es)
            kv("last exit", "signal %s at %s", es, when);
        else
            kv("last exit", "code %lld at %s", (long long)json_integer_value(ec), when);
    }
    kv("script", "%s", s_or(p, "script", "?"));
    kv("interpreter", "%s", s_or(p, "interpreter", "none"));
    char *args = json_dumps(json_object_get(p, "args"), JSON_COMPACT);
    kv("args", "%s", args ? args : "[]");
    free(args);
    kv("cwd", "%s", s_or(p, "cwd", "-"));
    kv("out log", "%s", s_or(p, "log_out", "(off)"));
    kv("error log", "%s", s_or(p, "log_err", "(off)"));
    if (json_string_value(json_object_get(p, "log_combined")))
        kv("combined log", "%s", s_or(p, "log_combined", ""));
    kv("log lines written", "%lld", (long long)json_integer_value(json_object_get(p, "log_lines")));
    kv("log bytes dropped", "%lld",
       (long long)json_integer_value(json_object_get(p, "log_dropped")));
    kv("log rotations", "%lld", (long long)json_integer_value(json_object_get(p, "log_rotations")));
    kv("cpu", "%.1f%%", json_number_value(json_object_get(p, "cpu")));
    format_bytes_short((uint64_t)json_integer_value(json_object_get(p, "memory")), buf,
                       sizeof(buf));
    kv("memory (whole tree)", "%s", buf);
    json_t *conns = json_object_get(p, "connections");
    if (json_is_object(conns)) {
        json_t *open = json_object_get(conns, "open"), *acc = json_object_get(conns, "accepted");
        if (json_is_integer(open))
            kv("connections open", "%lld", (long long)json_integer_value(open));
        if (json_is_integer(acc))
            kv("connections accepted", "%lld (%.1f/s)", (long long)json_integer_value(acc),
               json_number_value(json_object_get(conns, "accept_rate")));
    }
    if (json_string_value(json_object_get(p, "cgroup")))
        kv("cgroup", "%s", s_or(p, "cgroup", ""));
    const char *ns = json_string_value(json_object_get(p, "notify_status"));
    if (ns)
        kv("notify status", "%s", ns);
    size_t mi;
    json_t *m;
    json_array_foreach(json_object_get(p, "ipc_messages"), mi, m)
        kv(mi ? "" : "ipc messages", "%s", json_string_value(m));
    json_t *config = json_object_get(p, "config");
    char *cfg = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
    kv("config", "%s", cfg ? cfg : "{}");
    free(cfg);
}
