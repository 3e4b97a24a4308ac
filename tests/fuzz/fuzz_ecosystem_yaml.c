/* fuzz_ecosystem_yaml.c - ecosystem files in YAML: yaml_to_json (the CLI's
 * reader, src/cli/yaml_json.c), then every app normalized and checked
 * (fuzz_app.h). Also checks that what yaml_to_json builds is plain JSON:
 * dumped and read back it is the same value. */
#include "fuzz.h"
#include "fuzz_app.h"

#include "cli/yaml_json.h"
#include "proto/frame.h"

#include <jansson.h>

/* Checks root reads back the same once dumped. Returns its JSON size. */
static size_t check_round_trip(json_t *root)
{
    size_t need = json_dumpb(root, NULL, 0, JSON_ENCODE_ANY | JSON_COMPACT);
    FUZZ_CHECK(need > 0, "a YAML result cannot be encoded as JSON");
    /* aliases let a small file stand for a large value (yaml_json.h bounds
     * the number of values, not the bytes); the daemon never sees more than
     * one request frame, so larger ones are not followed further */
    if (need > FRAME_MAX_REQUEST)
        return need;
    char *text = malloc(need);
    FUZZ_CHECK(text, "out of memory");
    FUZZ_CHECK(json_dumpb(root, text, need, JSON_ENCODE_ANY | JSON_COMPACT) == need,
               "json_dumpb changed its mind");
    json_error_t jerr;
    json_t *back = json_loadb(text, need, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    FUZZ_CHECK(back, "dumped YAML result does not parse: %s: %.*s", jerr.text, (int)need, text);
    FUZZ_CHECK(json_equal(root, back), "dumped YAML result reads back different: %.*s", (int)need,
               text);
    json_decref(back);
    free(text);
    return need;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    memset(err, 0x5a, sizeof(err));
    json_t *root = yaml_to_json((const char *)data, size, err, sizeof(err));
    if (!root) {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0], "a refused document without a reason");
        return 0;
    }
    if (check_round_trip(root) <= FRAME_MAX_REQUEST)
        fuzz_check_apps(root);
    json_decref(root);
    return 0;
}
