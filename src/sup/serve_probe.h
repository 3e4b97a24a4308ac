/* serve_probe.h - is the app serving the sockets it inherited?
 *
 * An app started with LISTEN_FDS never calls listen() (the sockets listen
 * already), so the shim cannot see it get ready, and unmodified gunicorn,
 * puma or Go servers send no READY=1. What they all do once they serve is
 * wait on the socket: it is registered in an epoll set (node, Go, asyncio,
 * nio4r), or a thread is blocked in accept/accept4 on it, or in poll/ppoll
 * or select/pselect6 with it in the set (gunicorn's sync workers, Ruby's
 * IO.select). The probe looks for exactly that in /proc: fds that refer to
 * one of the sockets (by inode), epoll registrations (fdinfo "tfd:"), each
 * thread's current system call (/proc/<pid>/task/<tid>/syscall) and, for
 * poll and select, the fd sets in the app's memory (process_vm_readv: the
 * supervisor is the app's ancestor and runs as root or as the app's user).
 * Nothing is injected into the app, and nothing happens once a run is seen
 * serving. Musl-safe. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct proc_tree;

/* Returns 1 when some process of the tree waits on one of the sockets
 * whose inodes are listed, else 0. */
int serve_probe(const struct proc_tree *tree, const ino_t *sockets, size_t n_sockets);
