/* The orders a task list can be sorted in, and their names on the command
 * line (-s), in the config (sort =) and in the live view. */
#ifndef CATTOP_TASK_SORT_H
#define CATTOP_TASK_SORT_H

#include <stdbool.h>

enum task_sort {
	SORT_MAX_POLL = 0, /* longest poll, in-flight polls included */
	SORT_BUSY,
	SORT_POLLS,
	SORT_SLOW,
	SORT_INFLIGHT,
	SORT_NAME,
	SORT_ID,
	SORT_BUSY_PCT, /* busy time over the time since first seen */
	SORT_IDLE,     /* idle for (task_idle_ns): the longest idle first */
	SORT_STATE,    /* running, idle, done */
	SORT_SCHED,    /* longest scheduled delay (wake to poll) */
};

/* A sort key's name (longest, busy, polls, slow, inflight, name, id,
 * busy%, idle, state, sched; last = idle) into out; false if there is no such key. */
bool task_sort_parse(const char *word, enum task_sort *out);

#endif
