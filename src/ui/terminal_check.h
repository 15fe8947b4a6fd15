/* Whether the live view can run on this terminal, asked before cattop
 * attaches: a type curses knows, that can move its cursor (TERM=dumb
 * cannot: the screen would stay blank while the target is probed for
 * nothing). No terminal at all is tui_run's to report. */
#ifndef CATTOP_TERMINAL_CHECK_H
#define CATTOP_TERMINAL_CHECK_H

#include <stddef.h>

/* Returns 0, or -1 with a one-line reason in err (suggesting -b). */
int terminal_check(char *err, size_t errlen);

#endif
