/* node_eval.h - evaluating a JavaScript ecosystem file with node, the way
 * PM2 does (it require()s the file), so module.exports = {apps: [...]},
 * computed values, process.env lookups and helper functions all work.
 *
 * node runs our own fixed script (passed with -e); the file's path is an
 * argv element after "--", never part of any code, and no shell is
 * involved. The script loads the file (CommonJS or ES module: .js, .cjs,
 * .mjs; a .json file is evaluated as a JavaScript literal, which accepts the
 * comments and unquoted keys PM2 accepts) and writes JSON.stringify of the
 * result to fd 3, so whatever the file prints on stdout cannot corrupt the
 * result (node's stdout goes to our stderr). node inherits the CLI's
 * environment and working directory. */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* Evaluates the file at path (absolute) with the node found in PATH.
 * Returns a new reference, or NULL with err filled: node missing, node's
 * own error output (trimmed), a timeout, or output over the size cap. */
json_t *node_eval_file(const char *path, char *err, size_t errlen);
