/* broker.h - where the preload shim gets shared sockets.
 *
 * An abstract AF_UNIX stream socket "@drover.<pid>.broker", named to the app
 * in DROVER_BROKER (an environment variable survives wrapper chains such as
 * `npm start` or `sh -c`, where inherited fds may not). Only processes in
 * the app's tree may connect. Requests are kv frames:
 *
 *   cmd=listen family=inet|inet6 addr=<ip> port=<n> v6only=0|1
 *       -> ok=1 with the socket attached, or ok=0 error=<text>
 *          (ok=0 passthrough=1: not shared, let the app bind itself: node's
 *          inspector port, spec.inspect_port; with reuseport=1 the shim
 *          sets SO_REUSEPORT first, so the old and the new worker of a
 *          reload can both bind it)
 *   cmd=ready   (the app called listen() on a shared socket)
 *       -> ok=1
 *   cmd=stats   -> ok=1 with the page of connection counters attached
 *       (proto/conn_stats.h), or ok=0 when the supervisor has none
 *   cmd=lc      -> ok=1 cell=<n> with the least_conn counts map attached
 *       (proto/least_conn.h), or ok=0 when the app has none
 *   cmd=drainable (the process took DRAIN_SIGNAL, proto/drain.h; its pid
 *       is the connection's SO_PEERCRED)
 *       -> ok=1, or ok=0 error=<text>
 *
 * A socket this supervisor already holds (from the daemon at spawn, or
 * obtained earlier) is handed out at once; otherwise the daemon is asked,
 * which binds it once for the whole app. */
#pragma once

struct sup;

#define BROKER_MAX_CONNS 32

/* Binds the broker socket; its DROVER_BROKER value goes to s->broker_name. */
int broker_open(struct sup *s);

/* Closes it and every connection. */
void broker_close(struct sup *s);
