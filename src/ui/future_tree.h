/* Drill-down (Enter on a task): the task's future tree, htop tree style,
 * with kind, polls, busy, longest, slow, in-flight and location per node. */
#ifndef CATTOP_FUTURE_TREE_H
#define CATTOP_FUTURE_TREE_H

struct tui;

void future_tree_draw(struct tui *ui, int y);
/* Expands (1), collapses (0) or toggles (-1) the node under the cursor. */
void future_tree_fold(struct tui *ui, int how);

#endif
