/* timeutil.h - clocks and human-readable durations. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: use for timers and intervals. */
int64_t mono_ms(void);

/* Milliseconds since the Unix epoch (CLOCK_REALTIME): use for timestamps a
 * user sees or that must survive a process restart (uptimes). */
int64_t wall_ms(void);

/* Formats a duration the way `ls` shows uptimes: "45s", "12m", "3h", "5D".
 * Writes at most len bytes including the NUL; returns buf. */
char *format_duration_short(int64_t ms, char *buf, size_t len);

/* Formats a byte count as "512b", "12.3kb", "48.1mb", "1.2gb". Returns buf. */
char *format_bytes_short(uint64_t bytes, char *buf, size_t len);
