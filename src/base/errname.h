/* errname.h - errno values by name, for error codes on the wire ("ENOENT")
 * that a CLI tests instead of message text. */
#pragma once

/* "ENOENT" for ENOENT (or -ENOENT); "EIO" for values without a name here. */
const char *errno_name(int err);

/* The errno of a name errno_name returns; 0 for an unknown name. */
int errno_from_name(const char *name);
