#include "taskwalk/task_spans.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int by_lo(const void *a, const void *b)
{
	const struct task_span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int task_spans_build(struct task_spans *s, const struct task_walk *w)
{
	size_t i;

	s->n = 0;
	if (w->count > s->cap) {
		struct task_span *grown = realloc(s->v, w->count * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->v = grown;
		s->cap = w->count;
	}
	for (i = 0; i < w->count; i++) {
		const struct walked_task *t = &w->tasks[i];

		if (t->body && t->body_size && t->body + t->body_size > t->body)
			s->v[s->n++] =
			    (struct task_span){t->body, t->body + t->body_size, t->header};
	}
	/* Sampled addresses come 199 times a second per busy CPU: a binary
	 * search each. */
	qsort(s->v, s->n, sizeof(*s->v), by_lo);
	return 0;
}

bool task_spans_find(const struct task_spans *s, uint64_t addr, uint64_t *key)
{
	size_t lo = 0, hi = s->n;

	/* The last span starting at or below addr is the only one that can
	 * hold it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= s->v[lo - 1].hi)
		return false;
	*key = s->v[lo - 1].key;
	return true;
}

void task_spans_free(struct task_spans *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
