/* history.c - samples and sparkline levels of `drover monit` (history.h). */
#include "cli/monit/history.h"

#include <stdlib.h>

struct history *history_new(void)
{
    return calloc(1, sizeof(struct history));
}

void history_add(struct history *h, uint64_t seq, double cpu, uint64_t memory)
{
    if (h->count > 0 && seq <= h->last_seq)
        return;
    if (h->count == 0 || seq != h->last_seq + 1) {
        h->first_seq = seq; /* a gap: what came before is no longer contiguous */
        h->count = 0;
    }
    h->last_seq = seq;
    h->count++;
    if (seq - h->first_seq >= HISTORY_SAMPLES)
        h->first_seq = seq - HISTORY_SAMPLES + 1;
    unsigned slot = (unsigned)(seq % HISTORY_SAMPLES);
    h->cpu[slot] = cpu < 0 ? 0.0f : (float)cpu;
    h->memory[slot] = memory;
}

/* True when sample seq is held. */
static int held(const struct history *h, uint64_t seq)
{
    return h->count > 0 && seq >= h->first_seq && seq <= h->last_seq;
}

void history_levels(const struct history *h, enum history_series series, uint64_t now_seq,
                    unsigned per_cell, int *levels, unsigned cells)
{
    double avg[512];
    if (per_cell == 0)
        per_cell = 1;
    if (cells > sizeof(avg) / sizeof(avg[0]))
        cells = sizeof(avg) / sizeof(avg[0]);
    uint64_t newest_bucket = now_seq / per_cell;
    double scale = series == HISTORY_CPU ? 100.0 : 0.0;
    for (unsigned c = 0; c < cells; c++) {
        uint64_t back = cells - 1 - c;
        avg[c] = -1;
        if (back > newest_bucket)
            continue;
        uint64_t from = (newest_bucket - back) * per_cell;
        double sum = 0;
        unsigned n = 0;
        for (uint64_t s = from; s < from + per_cell && s <= now_seq; s++) {
            if (!held(h, s))
                continue;
            unsigned slot = (unsigned)(s % HISTORY_SAMPLES);
            sum += series == HISTORY_CPU ? (double)h->cpu[slot] : (double)h->memory[slot];
            n++;
        }
        if (n == 0)
            continue;
        avg[c] = sum / n;
        if (avg[c] > scale)
            scale = avg[c];
    }
    for (unsigned c = 0; c < cells; c++) {
        if (avg[c] < 0) {
            levels[c] = -1;
            continue;
        }
        int level = scale > 0 ? (int)(avg[c] / scale * HISTORY_LEVELS) : 0;
        levels[c] = level >= HISTORY_LEVELS ? HISTORY_LEVELS - 1 : level;
    }
}
