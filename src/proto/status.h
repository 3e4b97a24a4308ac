/* status.h - the status of an instance, as the supervisor reports it and
 * the daemon shows it: one enum, one string table. PM2's words appear only
 * at the JSON edge (status_pm2_name, for jlist); drover's own names
 * (status_name) are what `ls`, `describe` and the wire carry.
 *
 *   STOPPED    no process: stopped by the user, or autorestart said so
 *   LAUNCHING  started, not ready yet (see readiness in proto/spec.h)
 *   ONLINE     running and ready
 *   STOPPING   the stop signal was sent; also leftovers of a crashed run
 *              being cleaned before the restart decision
 *   WAITING    waiting restart_delay or the backoff before starting again
 *   ERRORED    not restarted: max_restarts reached, exec failed, not ready
 *              in time
 *   EXITING    the supervisor is going away (delete): the last snapshot
 *   ADOPTING   (daemon only) a supervisor found at start has not answered
 *   LOST       (daemon only) the supervisor died; a new one is coming */
#pragma once

enum inst_status {
    STATUS_STOPPED,
    STATUS_LAUNCHING,
    STATUS_ONLINE,
    STATUS_STOPPING,
    STATUS_WAITING,
    STATUS_ERRORED,
    STATUS_EXITING,
    STATUS_ADOPTING,
    STATUS_LOST,
    STATUS__COUNT
};

/* drover's name ("online", "waiting restart", ...); "unknown" when out of range. */
const char *status_name(enum inst_status s);

/* PM2's word for jlist: adopting is "launching", lost is "waiting restart",
 * exiting is "stopping". */
const char *status_pm2_name(enum inst_status s);

/* The status named s (drover's names); -1 when unknown. */
int status_from_name(const char *s);

/* A process of the instance may be running (launching, online, stopping). */
int status_has_process(enum inst_status s);

/* The instance will not change by itself: stopped or errored. */
int status_is_at_rest(enum inst_status s);
