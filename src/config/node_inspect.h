/* node_inspect.h - Node's inspector port per cluster instance.
 *
 * Node's cluster module gives every worker its own inspector port (the
 * primary's plus 1, 2, ...), so `--inspect` works with several workers.
 * drover does the same per instance slot: when an app's node arguments
 * (node_args / interpreter_args) enable the inspector, the instance in
 * slot k listens for debuggers on base + k, base being the port those
 * arguments name (9229, node's default, when they name none). Slot 0 keeps
 * the port itself (a fork-mode app is slot 0: unchanged), and a slot keeps
 * its port across restarts and reloads (while an old and a new worker of
 * one slot overlap in a reload, the new one's inspector may find the port
 * busy: node warns and runs on).
 *
 * Arguments that enable it: --inspect, --inspect-brk, --inspect-wait, each
 * optionally =[host:]port; the port alone: --inspect-port=[host:]port (or
 * --debug-port). The last port given wins, as in node. Pure. */
#pragma once

#include <stddef.h>

#define NODE_INSPECT_DEFAULT_PORT 9229

/* Looks at node's arguments args[0..n) (entries may be NULL: skipped).
 * Returns slot's inspector port (base + slot), or 0 when the arguments do
 * not enable the inspector or the port would pass 65535. A base of 0
 * (node's "pick any free port") stays 0 for every slot. */
int node_inspect_port(const char *const *args, size_t n, int slot);

/* Writes node's argument that moves the inspector to port ("--inspect-port=
 * <port>": node keeps the host given by --inspect=host:port) into out.
 * Returns out. */
char *node_inspect_port_arg(int port, char *out, size_t len);
