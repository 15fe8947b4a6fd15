#include "model/task_lints.h"

#include <stdio.h>

#include "model/await_chain.h"
#include "model/lock_awaits.h"
#include "model/task_view.h"
#include "util/duration.h"

static const struct {
	const char *name, *text, *one, *many;
} lints[LINT_KINDS] = {
    {"wedged", "a poll has been running for over 1 s: its worker runs nothing else",
     "task wedged (a poll running > 1s)", "tasks wedged (a poll running > 1s)"},
    {"lost_waker", "idle, and nothing holds a waker for it: it will never be polled again",
     "task lost its waker (never polled again)", "tasks lost their wakers (never polled again)"},
    {"awaiting_lock",
     "parked for over 1 s on a lock acquisition (its innermost .await is a Mutex lock, an "
     "RwLock read or write, a Semaphore acquire): whoever holds the lock keeps it waiting",
     "task awaiting a lock > 1s", "tasks awaiting a lock > 1s"},
    {"self_wake_loop",
     "woken only by itself, 100 times in a row and lately (yield_now or wake_by_ref in a "
     "loop): it keeps its worker busy",
     "task waking itself in a loop", "tasks waking themselves in a loop"},
    {"blocking",
     "a poll slept in the kernel longer than the slow-poll threshold in the last 10 s (a std "
     "Mutex, blocking I/O, thread::sleep): its worker ran nothing else meanwhile",
     "task blocking its worker in the kernel", "tasks blocking their workers in the kernel"},
};

/* The latest of t's recent slow polls that blocked over the threshold in
 * the last LINT_BLOCKING_RECENT_NS, NULL if none. */
static const struct slow_poll *blocking_poll(const struct lint_ctx *c, const struct task *t)
{
	const struct poll_stats *st = &t->stats;
	uint64_t i, n = st->slow_polls < RECENT_SLOW_POLLS ? st->slow_polls : RECENT_SLOW_POLLS;

	if (!c->m->blocked_measured)
		return NULL;
	for (i = 0; i < n; i++) { /* newest first */
		const struct slow_poll *p =
		    &st->recent_slow[(st->slow_polls - 1 - i) % RECENT_SLOW_POLLS];

		if (c->now > p->ended_at && c->now - p->ended_at > LINT_BLOCKING_RECENT_NS)
			return NULL;
		if (p->blocked_ns > c->m->threshold_ns)
			return p;
	}
	return NULL;
}

/* The innermost await's lock, NULL if none. The innermost only: a task
 * parked elsewhere while holding a lock, or in a join! one of whose
 * futures locks, is not waiting for it (a join!'s futures each have their
 * own line, not the stack's). Memoised: the header, the table and the
 * JSON ask every refresh for every idle task, and the answer reads the
 * target's memory; it changes only in a poll, which a poll count or end
 * shows, or one not seen (duty or light mode): LOCK_MEMO_NS bounds that. */
static const char *innermost_lock(const struct lint_ctx *c, const struct task *t)
{
	struct task *memo = (struct task *)t; /* a cache only */
	struct await_frame chain[AWAIT_CHAIN_MAX];
	size_t n;

	if (t->lock_memo.at && c->now - t->lock_memo.at < LOCK_MEMO_NS &&
	    t->lock_memo.polls == t->stats.polls &&
	    t->lock_memo.last_poll_end == t->stats.last_poll_end)
		return t->lock_memo.lock;
	n = await_chain_build(t, c->sites, c->src, chain, AWAIT_CHAIN_MAX, NULL);
	memo->lock_memo.lock =
	    n && !chain[n - 1].in_macro ? lock_await_name(chain[n - 1].awaitee) : NULL;
	memo->lock_memo.at = c->now;
	memo->lock_memo.polls = t->stats.polls;
	memo->lock_memo.last_poll_end = t->stats.last_poll_end;
	return t->lock_memo.lock;
}

/* The lock t is parked on, NULL if none (or not for long enough), with
 * how long it has been idle. */
static const char *lock_awaited(const struct lint_ctx *c, const struct task *t, uint64_t *idle,
				bool *since_attach)
{
	if (!c->src || task_state(t) != TASK_IDLE)
		return NULL;
	*idle = task_idle_ns(c->m, t, c->now, since_attach);
	if (*idle < LINT_LOCK_IDLE_NS)
		return NULL;
	return innermost_lock(c, t);
}

static bool self_wake_loop(const struct lint_ctx *c, const struct task *t)
{
	const struct poll_stats *st = &t->stats;

	return t->sched.self_wake_run >= LINT_SELF_WAKE_RUN &&
	       (st->inflight_since ||
		(st->last_poll_end && c->now - st->last_poll_end < LINT_SELF_WAKE_RECENT_NS));
}

unsigned task_lints(const struct lint_ctx *c, const struct task *t)
{
	unsigned mask = 0;
	uint64_t idle;
	bool since_attach;

	if (task_state(t) == TASK_DONE)
		return 0;
	if (poll_stats_inflight(&t->stats, c->now) > LINT_WEDGED_NS)
		mask |= LINT_WEDGED;
	/* Only while still idle as the walks saw it: a poll since would show. */
	if (t->walked && t->no_waker_walks >= LINT_NO_WAKER_WALKS && task_state(t) == TASK_IDLE &&
	    t->stats.last_poll_end <= t->walked_at)
		mask |= LINT_LOST_WAKER;
	if (lock_awaited(c, t, &idle, &since_attach))
		mask |= LINT_AWAITING_LOCK;
	if (self_wake_loop(c, t))
		mask |= LINT_SELF_WAKE_LOOP;
	if (blocking_poll(c, t))
		mask |= LINT_BLOCKING;
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

const char *task_lint_detail(const struct lint_ctx *c, const struct task *t, enum task_lint lint,
			     char *buf, size_t len)
{
	const struct slow_poll *p;
	const char *lock;
	uint64_t idle;
	bool since_attach;
	char d[16], w[16];

	buf[0] = '\0';
	if (lint == LINT_AWAITING_LOCK && (lock = lock_awaited(c, t, &idle, &since_attach)))
		snprintf(buf, len, "%s for %s%s", lock, since_attach ? "\xe2\x89\xa5" : "",
			 duration_format(idle, d, sizeof(d)));
	else if (lint == LINT_SELF_WAKE_LOOP && self_wake_loop(c, t))
		snprintf(buf, len, "woke itself %llu times in a row",
			 (unsigned long long)t->sched.self_wake_run);
	else if (lint == LINT_BLOCKING && (p = blocking_poll(c, t)))
		snprintf(buf, len, "blocked %s in a %s poll", duration_format(p->blocked_ns, d, 16),
			 duration_format(p->duration_ns, w, sizeof(w)));
	return buf;
}

void task_lints_count(const struct lint_ctx *c, size_t counts[LINT_KINDS])
{
	const struct task *t;
	int i;

	for (i = 0; i < LINT_KINDS; i++)
		counts[i] = 0;
	for (t = c->m->first; t; t = t->next) {
		unsigned mask = task_lints(c, t);

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
