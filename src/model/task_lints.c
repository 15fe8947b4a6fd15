#include "model/task_lints.h"

#include <stdio.h>

#include "model/task_view.h"

static const struct {
	const char *name, *text, *one, *many;
} lints[LINT_KINDS] = {
    {"wedged", "a poll has been running for over 1 s: its worker runs nothing else",
     "task wedged (a poll running > 1s)", "tasks wedged (a poll running > 1s)"},
    {"lost_waker", "idle, and nothing holds a waker for it: it will never be polled again",
     "task lost its waker (never polled again)", "tasks lost their wakers (never polled again)"},
};

unsigned task_lints(const struct task *t, uint64_t now)
{
	unsigned mask = 0;

	if (task_state(t) == TASK_DONE)
		return 0;
	if (poll_stats_inflight(&t->stats, now) > LINT_WEDGED_NS)
		mask |= LINT_WEDGED;
	/* Only while still idle as the walks saw it: a poll since would show. */
	if (t->walked && t->no_waker_walks >= LINT_NO_WAKER_WALKS && task_state(t) == TASK_IDLE &&
	    t->stats.last_poll_end <= t->walked_at)
		mask |= LINT_LOST_WAKER;
	return mask;
}

static int index_of(enum task_lint lint)
{
	int i;

	for (i = 0; i < LINT_KINDS; i++)
		if ((unsigned)lint == 1u << i)
			return i;
	return 0;
}

const char *task_lint_name(enum task_lint lint)
{
	return lints[index_of(lint)].name;
}

const char *task_lint_text(enum task_lint lint)
{
	return lints[index_of(lint)].text;
}

void task_lints_count(const struct task_model *m, uint64_t now, size_t counts[LINT_KINDS])
{
	const struct task *t;
	int i;

	for (i = 0; i < LINT_KINDS; i++)
		counts[i] = 0;
	for (t = m->first; t; t = t->next) {
		unsigned mask = task_lints(t, now);

		for (i = 0; i < LINT_KINDS; i++)
			counts[i] += (mask >> i) & 1;
	}
}

const char *task_lints_summary(const size_t counts[LINT_KINDS], char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < LINT_KINDS && used + 1 < len; i++)
		if (counts[i])
			used += (size_t)snprintf(buf + used, len - used, "%s%zu %s",
						 used ? ", " : "", counts[i],
						 counts[i] == 1 ? lints[i].one : lints[i].many);
	return buf;
}
