/* htop's bottom bar of function keys, and what F3 (search) and F6 (sort
 * menu) open: the keys people who live in htop reach for first. */
#ifndef CATTOP_FUNCTION_BAR_H
#define CATTOP_FUNCTION_BAR_H

#include "ui/tui.h"

/* "F1Help F3Search ..." then the view's own hints, on the bottom line. */
void function_bar_draw(struct tui *ui, int y, const char *hints);

/* The key of the bar's button at column x of the bottom line, 0 if none. */
int function_bar_key_at(int x);

/* The F6 menu of sort columns, drawn over the left of the list. */
void sort_menu_draw(struct tui *ui, int y);
/* A key while the sort menu is open: arrows move, Enter sorts, else closes. */
enum reaction sort_menu_key(struct tui *ui, int key);
void sort_menu_open(struct tui *ui);

/* The row to put the cursor on for the pending F3 search: the next one
 * after the cursor (wrapping) whose name matches, -1 if none. name(ctx, i)
 * gives row i's name. Clears the pending search and says what it found. */
int function_bar_search(struct tui *ui, int rows, const char *(*name)(void *ctx, int i), void *ctx);

#endif
