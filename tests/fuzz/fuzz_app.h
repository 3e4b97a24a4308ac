/* fuzz_app.h - what the JSON request and YAML ecosystem targets share:
 * normalizing the apps of a document with app_config_normalize and checking
 * what a normalized app promises (config/app_config.h). */
#pragma once

#include <jansson.h>

/* Most apps of one document that are normalized (the rest are ignored). */
#define FUZZ_APP_MAX 32

/* Takes the apps of root the way the CLI reads an ecosystem file and the
 * daemon a request ({"apps": [...]}, {"apps": {...}}, [...] or one app
 * object with a "script"), normalizes each and aborts when a result breaks
 * the contract: an error that is empty or not valid UTF-8 (the daemon sends
 * it in a JSON reply), a warning lost, an output key or value of the wrong
 * type or range, or a second normalization (what `drover resurrect` does
 * with a dump) that fails or changes anything. root is borrowed. */
void fuzz_check_apps(json_t *root);
