#include "ui/terminal_check.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <term.h>
#include <unistd.h>

/* The terminal's description says it can address the cursor. */
static bool can_move_cursor(void)
{
	const char *cup = tigetstr("cup");

	return cup && cup != (const char *)-1 && *cup;
}

int terminal_check(char *err, size_t errlen)
{
	const char *term = getenv("TERM");
	int found = 0, ok;

	/* Not a terminal at all: tui_run says so, after the target's own
	 * errors (no such process...), which matter more. */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return 0;
	if (setupterm(NULL, STDOUT_FILENO, &found) != OK) {
		snprintf(err, errlen,
			 "unknown terminal type TERM=%s: set TERM (e.g. xterm-256color), or use "
			 "-b for batch mode",
			 term && *term ? term : "(unset)");
		return -1;
	}
	ok = can_move_cursor();
	del_curterm(cur_term); /* initscr sets the terminal up again */
	if (!ok) {
		snprintf(err, errlen,
			 "TERM=%s cannot move the cursor, which the live view needs: use -b for "
			 "batch mode",
			 term && *term ? term : "(unset)");
		return -1;
	}
	return 0;
}
