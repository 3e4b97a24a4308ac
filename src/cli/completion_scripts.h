/* completion_scripts.h - the bash, zsh and fish completion scripts
 * `drover completion <shell>` prints and the package installs. Each is a
 * thin wrapper: on Tab it runs `<drover> __complete <words up to the
 * cursor>` and shows what that prints (completion.h), so all shells offer
 * the same words. */
#pragma once

struct completion_shell {
    const char *name;   /* "bash" */
    const char *script; /* the whole script */
    /* where `drover completion install` writes it: a base directory from
     * an XDG variable (or its default under $HOME) and a path below it */
    const char *base_env;     /* "XDG_DATA_HOME" */
    const char *base_default; /* ".local/share", under $HOME */
    const char *file;         /* "bash-completion/completions/drover" */
    const char *note;         /* what the user still has to do, or NULL */
};

/* The shell called name, or NULL. */
const struct completion_shell *completion_shell_find(const char *name);

/* The names of the shells, space-separated ("bash zsh fish"). */
extern const char completion_shell_names[];
