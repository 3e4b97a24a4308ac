/* yaml_json.h - YAML text to a jansson value, for ecosystem files written
 * in YAML (PM2 accepts process.yml).
 *
 * Mappings become objects, sequences arrays. Plain scalars are resolved by
 * the YAML 1.2 core schema: null/Null/NULL/~/empty -> null, true/false (and
 * their capitalised forms) -> booleans, decimal/0x/0o integers -> integers,
 * decimals, exponents, .inf and .nan -> reals; everything else, and every
 * quoted or block scalar, stays a string. An explicit !!str tag keeps a
 * plain scalar a string. Anchors and aliases are supported, and so is the
 * merge key "<<" (a mapping or a list of mappings whose keys fill in the
 * ones the mapping does not set). Mapping keys must be scalars and unique.
 *
 * Limits: nesting depth, and the number of values once aliases are
 * expanded (so "billion laughs" documents are refused, not expanded). */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* Parses one YAML document from text (len bytes). On success returns a new
 * reference (an empty document gives JSON null). On failure returns NULL
 * and writes "LINE:COLUMN: problem" into err. A stream with more than one
 * document is an error. */
json_t *yaml_to_json(const char *text, size_t len, char *err, size_t errlen);
