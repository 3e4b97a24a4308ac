/* flag_value.h - a command-line flag that takes a value, written either
 * "--name value" or "--name=value" (the verbs of containers and balancers:
 * probe, drain, export, drover-runtime). Pure. */
#pragma once

/* Looks at argv[*i] (argc words). Returns 1 when it is the flag name: *value
 * then points into argv (not copied) and *i is at the value's word. Returns
 * 0 when argv[*i] is another word (nothing changed), -1 when the flag is
 * there but its value is missing. */
int flag_value(int argc, char **argv, int *i, const char *name, const char **value);
