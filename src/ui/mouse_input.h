/* The mouse, as htop users reach for it: a click selects a row (a double
 * click opens it, as Enter does), a click on a column title sorts by it (a
 * second click inverts), the wheel scrolls, and the function keys of the
 * bottom bar are buttons. */
#ifndef CATTOP_MOUSE_INPUT_H
#define CATTOP_MOUSE_INPUT_H

#include "ui/tui.h"

/* Asks curses for the events handled here. */
void mouse_input_enable(void);
/* After getch() returned KEY_MOUSE: reads the event and acts on it. */
enum reaction mouse_dispatch(struct tui *ui);

#endif
