/* keys.h - what each key does in `drover monit` (view.c's help overlay
 * lists them): moving the selection, folding an app's instances, the
 * actions (restart, reload, stop and scale down ask for a y first),
 * describe, help, quit. */
#pragma once

#include "cli/monit/monit.h"

/* Acts on one key (a curses key code). Sets m->quit for q. */
void keys_handle(struct monit *m, int key);
