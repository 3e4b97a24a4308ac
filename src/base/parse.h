/* parse.h - parsers for the values users type: sizes, durations, signals,
 * integers. All return 0 on success or -EINVAL / -ERANGE without touching
 * *out on failure. Pure functions: unit-tested in tests/unit/test_parse.c. */
#pragma once

#include <stdint.h>

/* Parses a decimal integer in [min, max] with nothing after it. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Parses a byte size: "1024", "10K", "10M", "1G", "512kb", "1.5G"
 * (K/M/G/T are powers of 1024, case-insensitive, optional trailing B). */
int parse_size(const char *s, uint64_t *out);

/* Parses a duration into milliseconds: a bare number is milliseconds
 * ("1500"); suffixes ms, s, m, h, d are accepted ("1.5s", "2m", "1h"). */
int parse_duration_ms(const char *s, int64_t *out);

/* Parses a signal by name ("SIGINT", "INT", "sigint") or number ("2"). */
int parse_signal(const char *s, int *out);

/* Returns "SIGINT" for SIGINT etc., or NULL for an unknown number. */
const char *signal_name(int sig);
