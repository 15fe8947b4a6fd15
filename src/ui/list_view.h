/* Cursor and scrolling for the list views (tasks, groups, tree). */
#ifndef CATTOP_LIST_VIEW_H
#define CATTOP_LIST_VIEW_H

struct tui;

/* Clamps the cursor to rows and scrolls so it is on one of page lines. */
void list_view_fit(struct tui *ui, int rows, int page);
void list_view_move(struct tui *ui, int delta);
void list_view_reset(struct tui *ui);

#endif
