/* frame.h - the wire format of every drover control link (CLI <-> daemon,
 * daemon <-> instance supervisor, app <-> supervisor).
 *
 *   offset 0  'D' 'R'      magic
 *   offset 2  version      FRAME_VERSION; a peer speaking another version
 *                          is answered with an error and disconnected
 *   offset 3  n_fds        descriptors attached to this frame (SCM_RIGHTS,
 *                          sent with its first byte), at most FRAME_MAX_FDS
 *   offset 4  length       payload bytes, uint32 little-endian
 *   offset 8  payload      JSON (CLI link) or kv records (see kv.h)
 *
 * Every reader enforces a size cap and rejects the frame, not the process,
 * when a peer exceeds it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAGIC0 'D'
#define FRAME_MAGIC1 'R'
#define FRAME_VERSION 1
#define FRAME_HEADER_LEN 8
#define FRAME_MAX_FDS 16

/* Size caps per link. */
#define FRAME_MAX_REQUEST (1u << 20)   /* what the daemon accepts from a CLI */
#define FRAME_MAX_RESPONSE (64u << 20) /* what a CLI accepts from the daemon */
#define FRAME_MAX_INTERNAL (4u << 20)  /* daemon <-> supervisor, app <-> supervisor */

/* Writes the header for a payload of len bytes with n_fds descriptors. */
void frame_header_encode(uint8_t out[FRAME_HEADER_LEN], size_t len, unsigned n_fds);

/* Checks a received header against max. Returns 0 and fills *len and *n_fds,
 * -EPROTO for a bad magic, -EPROTONOSUPPORT for another version, -EMSGSIZE
 * when the payload exceeds max or n_fds exceeds FRAME_MAX_FDS (*len and
 * *n_fds are then filled too, for the error message). */
int frame_header_decode(const uint8_t in[FRAME_HEADER_LEN], size_t max, size_t *len,
                        unsigned *n_fds);

/* Blocking helpers for simple clients (the CLI, the preload shim). */

/* Sends one frame with optional descriptors on a blocking socket. */
int frame_send(int fd, const void *payload, size_t len, const int *fds, unsigned n_fds);

/* Receives one frame of at most max bytes into a malloc'd NUL-terminated
 * buffer (*payload, caller frees). Attached descriptors go to fds[] (room
 * for FRAME_MAX_FDS) and their count to *n_fds; fds may be NULL when none
 * are expected (any that arrive are then closed). timeout_ms < 0 waits
 * forever. Returns 0, -EPIPE on EOF, -ETIMEDOUT, or a negative errno. */
int frame_recv(int fd, size_t max, int timeout_ms, char **payload, size_t *len, int *fds,
               unsigned *n_fds);
