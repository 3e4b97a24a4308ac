/* fuzz_request_json.c - the JSON a CLI sends the daemon, and ecosystem files
 * in JSON: parsed like src/daemon/server.c does (json_loadb with
 * JSON_REJECT_DUPLICATES, then "cmd", "targets", "apps"), every app then
 * normalized and checked (fuzz_app.h). */
#include "fuzz.h"
#include "fuzz_app.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!req) {
        FUZZ_CHECK(memchr(jerr.text, '\0', sizeof(jerr.text)) && jerr.text[0],
                   "a refused request without a reason");
        return 0;
    }
    /* server.c: a request is an object with a string "cmd" */
    const char *cmd = json_string_value(json_object_get(req, "cmd"));
    if (cmd)
        FUZZ_CHECK(json_is_object(req), "cmd outside an object");
    /* targets.c: "targets" is an array of strings */
    json_t *targets = json_object_get(req, "targets"), *t;
    size_t i, n_strings = 0;
    json_array_foreach(targets, i, t) if (json_string_value(t)) n_strings++;
    FUZZ_CHECK(n_strings <= json_array_size(targets), "more strings than targets");
    /* cmd_start.c / cmd_apply.c: every element of "apps" is normalized; the
     * CLI reads an ecosystem file's apps the same way */
    fuzz_check_apps(req);
    json_decref(req);
    return 0;
}
