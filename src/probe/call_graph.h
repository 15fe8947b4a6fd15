/* Which futures a task type can poll, from the machine code's direct calls.
 *
 * Drill-down widening (--tasks-only, --focus, opening a task in the live
 * view) attaches future probes only for the task type being looked at. A
 * runtime's task poll entry is monomorphised per task future, and a future's
 * poll calls its children's polls directly (they are generic code, resolved
 * at compile time), so following `call rel32` and `jmp rel32` from the task
 * poll entry reaches the futures that task type polls, and not those of the
 * other task types, whose task poll entries are not followed. Futures polled
 * through `dyn Future` (Box::pin of a trait object) are called indirectly and
 * are not found; nor are inlined ones, which have no probe site anyway. */
#ifndef CATTOP_CALL_GRAPH_H
#define CATTOP_CALL_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

struct elf_symbols;
struct site_table;

/* Marks in reached (indexed by site id, zeroed by the caller) the deferred
 * future sites the code of the sites marked in from can reach through
 * direct calls. code_path is the binary whose bytes are at the symbols' file
 * offsets. Returns how many were marked, or -errno. */
int call_graph_reach(const char *code_path, const struct elf_symbols *syms,
		     const struct site_table *sites, const bool *from, bool *reached);

#endif
