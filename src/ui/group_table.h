/* The grouped view (g): tasks aggregated by root future, so a server with
 * 10k connection tasks reads as one row per handler. */
#ifndef CATTOP_GROUP_TABLE_H
#define CATTOP_GROUP_TABLE_H

struct tui;

void group_table_draw(struct tui *ui, int y);

#endif
