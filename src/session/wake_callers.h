/* Tells the poll tracker which wakes are a task's own deferred ones when
 * the runtime's deferrer (task_wake_deferred) was inlined into its callers
 * and has no symbol to be a site: from DWARF's inlined subroutines at the
 * wake's call site. Live sessions only: a replay has no binary to ask. */
#ifndef CATTOP_WAKE_CALLERS_H
#define CATTOP_WAKE_CALLERS_H

struct session;

void wake_callers_init(struct session *s);

#endif
