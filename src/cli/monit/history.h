/* history.h - what `drover monit` remembers of one row (an instance, or an
 * app's total): one CPU and memory sample per list reply (about one a
 * second), the last HISTORY_SAMPLES of them, and the sparkline levels drawn
 * from them. Pure: no I/O, no clock (samples are numbered by the caller).
 *
 * Ownership: history_new's result is the caller's, freed with free(). */
#pragma once

#include <stdint.h>

/* Five minutes at one sample a second. */
#define HISTORY_SAMPLES 300u
/* Sparkline levels: 0 (lowest bar) to HISTORY_LEVELS - 1 (full). */
#define HISTORY_LEVELS 8

struct history {
    uint64_t first_seq; /* number of the oldest sample kept */
    uint64_t last_seq;  /* number of the newest; none yet when count is 0 */
    uint64_t count;     /* samples added (may exceed HISTORY_SAMPLES) */
    float cpu[HISTORY_SAMPLES];
    uint64_t memory[HISTORY_SAMPLES];
};

enum history_series {
    HISTORY_CPU,
    HISTORY_MEMORY,
};

/* A new, empty history, or NULL when out of memory. */
struct history *history_new(void);

/* Records sample number seq. Numbers grow by one per sample; an older number
 * is ignored, and a gap (the row missed samples) starts the history again. */
void history_add(struct history *h, uint64_t seq, double cpu, uint64_t memory);

/* Fills levels[0..cells-1], oldest at 0, newest (the bucket holding now_seq)
 * at cells-1, with a level 0..HISTORY_LEVELS-1, or -1 where no sample falls.
 * Each cell is the average of a bucket of per_cell (>= 1) consecutive sample
 * numbers, buckets aligned on multiples of per_cell, so that cells stay put
 * as samples come. The scale is the largest cell, at least 100 for CPU (a
 * percent of one core). */
void history_levels(const struct history *h, enum history_series series, uint64_t now_seq,
                    unsigned per_cell, int *levels, unsigned cells);
