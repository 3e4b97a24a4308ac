/* drain.h - the contract between a supervisor and the preload shim for
 * draining a worker before its stop signal (docs/architecture.md,
 * "Draining").
 *
 * A process of the app that holds a shared listening socket (after its
 * first shared bind(), or at start for the LISTEN_FDS sockets when
 * LISTEN_PID is its pid) installs a handler for DRAIN_SIGNAL, only when
 * that signal's disposition is still SIG_DFL, and then tells its broker
 * (sup/broker.h) "cmd=drainable"; the broker notes the peer's pid from
 * SO_PEERCRED. A child forked later registers itself the same way.
 *
 * The supervisor sends DRAIN_SIGNAL only to registered processes of its
 * tree whose /proc/<pid>/status still shows the signal caught (SigCgt): the
 * signal's default action kills. On it, the shim puts a listening socket no
 * one can connect to in place of every shared socket of the process (same
 * fd, flags and epoll registrations), so the process takes no new
 * connection from the shared queue and the other workers take them all.
 *
 * 61 is SIGRTMAX-3 with glibc and with musl (the supervisor is a static
 * musl binary); neither libc uses it. */
#pragma once

#define DRAIN_SIGNAL 61
