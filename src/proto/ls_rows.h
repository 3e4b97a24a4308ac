/* ls_rows.h - the compact listing behind the `ls` table.
 *
 * A CLI that wants only the table's columns sends `list` with "rows" set
 * to LS_ROWS_FIELDS. A daemon that knows that exact field list replies
 * {"rows": text}: one line per instance, in id order, each ending in '\n',
 * its fields in LS_ROWS_FIELDS order separated by '\t' (names and
 * namespaces hold no control characters: config/app_config.h). Numbers are
 * decimal, cpu with one decimal; pid and uptime_ms are 0 for an instance
 * that does not run. Any other daemon replies the brief process objects
 * (daemon/state/describe.h), which the CLI reads instead: a CLI newer than
 * the running daemon still lists.
 *
 * Why: with 1,000 apps, a JSON object per instance costs the CLI more
 * than everything else `ls` does (a tree of ~20,000 values to allocate,
 * parse and free); this text is parsed in place. */
#pragma once

#define LS_ROWS_FIELDS "id\tname\tnamespace\tmode\tpid\tstatus\trestarts\tuptime_ms\tcpu\tmemory"
#define LS_ROWS_NFIELDS 10
