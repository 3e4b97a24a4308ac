/* roff.h - writing man(7) pages: text escaped for roff, and the two marks
 * drover's synopses use (<placeholder> in italics, -flags in bold). */
#pragma once

#include <stdio.h>

/* Writes s as roff text: backslashes and hyphens escaped ("\e", "\-"), a
 * "." or "'" that would start a line made literal, `code` in bold, and
 * nothing else changed. */
void roff_text(FILE *out, const char *s);

/* Writes s line by line: a line starting with "." is a roff request,
 * written as it is; any other line goes through roff_text. */
void roff_prose(FILE *out, const char *s);

/* Writes s (escaped as roff_text) between \fB and \fR. */
void roff_bold(FILE *out, const char *s);

/* Writes a synopsis: <word> in italics (without the brackets), a token
 * starting with '-' in bold, the rest as roff_text. */
void roff_synopsis(FILE *out, const char *s);
