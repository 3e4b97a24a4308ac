/* cmd_dashboard.c - `drover dashboard`: the URL of the web dashboard, with
 * its token; when the daemon does not serve HTTP yet it starts serving on
 * the address asked for (http/http.h, http/dashboard.h). */
#include "daemon/cmd/commands.h"
#include "daemon/http/dashboard.h"
#include "daemon/http/http.h"
#include "daemon/server.h"

#include <errno.h>
#include <string.h>

#define DASHBOARD_DEFAULT_ADDRESS "127.0.0.1:9615"

void cmd_dashboard(struct daemon *d, struct client *c, json_t *req)
{
    const char *address = json_string_value(json_object_get(req, "address"));
    int started = 0;
    if (!d->http) {
        int r = http_start_at(d, address && *address ? address : DASHBOARD_DEFAULT_ADDRESS,
                              "drover dashboard --address");
        if (r == -EINVAL) {
            server_reply_error(c,
                               "dashboard: '%s' is not an address (127.0.0.1:9615, [::1]:9615 "
                               "or a port)",
                               address);
            return;
        }
        if (r < 0) {
            server_reply_error_code(c, r, "dashboard: cannot serve HTTP on %s: %s (see --address)",
                                    address && *address ? address : DASHBOARD_DEFAULT_ADDRESS,
                                    strerror(-r));
            return;
        }
        started = 1;
    }
    char url[512];
    int r = dashboard_url(d, url, sizeof(url));
    if (r < 0) {
        server_reply_error_code(c, r, "the dashboard has no address: %s", strerror(-r));
        return;
    }
    server_reply(c, json_pack("{s:s, s:b}", "url", url, "started", started));
}
