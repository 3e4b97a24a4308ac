/* pm2_shape.h - drover's process objects in the shape of `pm2 jlist`, so
 * dashboards and scripts written for PM2 keep working: name, pm_id, pid,
 * monit.{memory,cpu}, pm2_env.{status, restart_time, unstable_restarts,
 * pm_uptime, created_at, exec_mode, instances, pm_exec_path, pm_cwd,
 * pm_out_log_path, pm_err_log_path, exec_interpreter, args, env, ...}. */
#pragma once

#include <jansson.h>

/* Converts one canonical process object (borrowed) into a new PM2-shaped
 * object. */
json_t *pm2_shape_process(json_t *proc);

/* Converts an array of processes. */
json_t *pm2_shape_list(json_t *processes);
