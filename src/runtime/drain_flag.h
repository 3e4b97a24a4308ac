/* drain_flag.h - "draining" marks: an app that keeps running but must look
 * not ready to probes and balancers (before a host or a container stops, or
 * to take a host out of a balancer by hand). A mark is the file
 * <home>/drain/<app>, or <home>/drain/all for every app: it needs no daemon,
 * outlives a daemon restart, and is read by `drover probe ready` and by
 * drover-runtime's agent. drover-runtime clears every mark when it starts. */
#pragma once

#include "base/paths.h"

/* The name that marks every app. It is never an app's name. */
#define DRAIN_ALL "all"

/* Marks app (or DRAIN_ALL) draining. Returns 0, -EINVAL for a name that
 * cannot be a file name, or a negative errno. */
int drain_flag_set(const struct drover_paths *p, const char *app);

/* Removes the mark of app (or DRAIN_ALL; other apps' marks stay). Returns 0
 * (also when there was none) or a negative errno. */
int drain_flag_clear(const struct drover_paths *p, const char *app);

/* Removes every mark. Returns 0 or a negative errno. */
int drain_flag_clear_all(const struct drover_paths *p);

/* 1 when app is marked, or every app is (app NULL: only the mark of every
 * app counts); 0 when not. */
int drain_flag_is_set(const struct drover_paths *p, const char *app);
