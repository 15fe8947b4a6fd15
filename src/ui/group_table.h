/* The grouped view (g): tasks aggregated by root future, so a server with
 * 10k connection tasks reads as one row per handler. */
#ifndef CATTOP_GROUP_TABLE_H
#define CATTOP_GROUP_TABLE_H

#include <stdbool.h>
#include <stddef.h>

struct task_group;
struct tui;

void group_table_draw(struct tui *ui, int y);

/* Shared with the groups over several processes (process_group_table):
 * the / filter as a task_group_filter (ctx: the filter text), and
 * "  9,998 @ conn.rs:41, 2 @ db.rs:88" (where the group's idle tasks are
 * parked). */
bool group_table_name_passes(const char *name, void *ctx);
void group_table_parked_text(const struct task_group *g, char *buf, size_t len);

#endif
