/* metrics.h - the daemon's /metrics: Prometheus text format 0.0.4
 * (prom_text.h), drover_ prefix, base units, _total counters, no pid
 * labels. Families:
 *
 *   drover_up                              gauge    1: the daemon serves
 *   drover_app_instances{app,namespace,state}  gauge  instances per status word
 *   drover_instance_up{app,instance,namespace} gauge  1 when online
 *   drover_instance_restarts_total{...}    counter  restarts (crashes and commands)
 *   drover_instance_cpu_seconds_total{...} counter  CPU of the process tree
 *   drover_instance_memory_bytes{...}      gauge    RSS of the process tree
 *   drover_instance_start_time_seconds{...} gauge   start of the current run
 *                                                   (absent when not running)
 *   drover_log_bytes_dropped_total{...}    counter  log bytes lost
 *                                                   (a full disk)
 *   drover_listener_queue_length{app,address} gauge  the accept queue now
 *   drover_listener_queue_max{app,address}    gauge  its backlog
 *
 * "instance" is the instance id. CPU and memory come from the sampler of
 * `ls` (state/stats.h); a tree's CPU counter starts again with a new run.
 * Listener figures are TCP_INFO on the daemon's own listening sockets
 * (tcpi_unacked, tcpi_sacked), summed over an address's per-slot sockets. */
#pragma once

#include "base/strbuf.h"
#include "daemon/daemon.h"

/* Samples CPU and memory (stats_sample) and appends every family to out.
 * Returns 0 or a negative errno (-E2BIG past out's limit, -ENOMEM). */
int metrics_render(struct daemon *d, struct strbuf *out);
