/* preload.h - libdrover-preload.so, the socket-sharing shim for apps that
 * know nothing about drover.
 *
 * Loaded with LD_PRELOAD into every process of a cluster app's tree (and
 * into wrappers such as npm or sh, where it stays idle). It changes six
 * libc calls, only on TCP sockets and only when DROVER_BROKER is set:
 *
 *   bind(fd, addr)  asks the supervisor's broker (sup/broker.h) for the
 *                   shared socket of that address and dup3()s it onto fd,
 *                   keeping fd's close-on-exec and non-blocking flags; port
 *                   0 and non-TCP sockets bind normally. If the broker
 *                   refuses, bind fails with EADDRINUSE and the reason is
 *                   printed to stderr.
 *   listen(fd)      on a shared (or already listening) socket: does not
 *                   listen again, so one app's listen(5) cannot shrink the
 *                   backlog everyone shares, and reports readiness.
 *   shutdown(fd)    on a shared socket: a no-op, because shutting down one
 *                   copy would stop the port for every instance.
 *   close(fd)       forgets the fd; the socket lives on in the others.
 *   accept(fd), accept4(fd)
 *                   on a shared socket: count each connection in the
 *                   instance's page of counters (proto/conn_stats.h), one
 *                   atomic add; nothing else changes.
 *
 * The socket is claimed inside bind(), never in a constructor, so wrapper
 * chains that load the shim in every link are unaffected. Static binaries
 * and Go bypass libc: they need LISTEN_FDS (see README). */
#pragma once
