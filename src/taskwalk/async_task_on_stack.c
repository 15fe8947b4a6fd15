#include "taskwalk/async_task_on_stack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void async_task_finder_free(struct async_task_finder *f)
{
	free(f->runs);
	u64_map_free(&f->headers);
	memset(f, 0, sizeof(*f));
}

static int by_start(const void *a, const void *b)
{
	const struct task_run_fn *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Adds run's extent once (the runs are few: one per task type). */
static int add_run(struct async_task_finder *f, size_t *cap, uint64_t start, uint64_t size)
{
	struct task_run_fn *grown;
	size_t i;

	for (i = 0; i < f->nruns; i++)
		if (f->runs[i].start == start)
			return 0;
	if (f->nruns == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		grown = realloc(f->runs, *cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		f->runs = grown;
	}
	f->runs[f->nruns++] = (struct task_run_fn){start, start + size};
	return 0;
}

int async_task_finder_build(struct async_task_finder *f, const struct walked_task *tasks, size_t n,
			    fn_size_at size_at, void *ctx, const struct task_run_fn *runs,
			    size_t nruns)
{
	size_t i, cap = 0;
	uint64_t size;

	async_task_finder_free(f);
	for (i = 0; i < nruns; i++)
		if (runs[i].end > runs[i].start &&
		    add_run(f, &cap, runs[i].start, runs[i].end - runs[i].start)) {
			async_task_finder_free(f);
			return -ENOMEM;
		}
	for (i = 0; i < n; i++) {
		if (!tasks[i].header || !tasks[i].poll_fn)
			continue;
		size = size_at(ctx, tasks[i].poll_fn);
		if (!size)
			continue;
		/* The value is the run's start: never NULL, as u64_map wants. */
		if (add_run(f, &cap, tasks[i].poll_fn, size) ||
		    u64_map_put(&f->headers, tasks[i].header,
				(void *)(uintptr_t)tasks[i].poll_fn)) {
			async_task_finder_free(f);
			return -ENOMEM;
		}
	}
	if (f->nruns)
		qsort(f->runs, f->nruns, sizeof(*f->runs), by_start);
	return 0;
}

/* The run function holding addr strictly after its start (a return
 * address is never a function's first byte), or NULL. */
static const struct task_run_fn *run_holding(const struct async_task_finder *f, uint64_t addr)
{
	size_t lo = 0, hi = f->nruns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr <= f->runs[mid].start)
			hi = mid;
		else if (addr >= f->runs[mid].end)
			lo = mid + 1;
		else
			return &f->runs[mid];
	}
	return NULL;
}

static uint64_t word_at(const uint8_t *words, size_t i)
{
	uint64_t w;

	memcpy(&w, words + i * 8, sizeof(w));
	return w;
}

/* The header of a task of run nearest word i, or 0. */
static uint64_t header_near(const struct async_task_finder *f, const uint8_t *words, size_t nwords,
			    size_t i, uint64_t run)
{
	size_t d, lo_end = i < TASK_ON_STACK_BELOW ? i : TASK_ON_STACK_BELOW;

	for (d = 1; d <= TASK_ON_STACK_ABOVE; d++) {
		uint64_t w;

		if (d <= lo_end && (w = word_at(words, i - d)) &&
		    (uintptr_t)u64_map_get(&f->headers, w) == run)
			return w;
		if (i + d < nwords && (w = word_at(words, i + d)) &&
		    (uintptr_t)u64_map_get(&f->headers, w) == run)
			return w;
	}
	return 0;
}

uint64_t async_task_on_stack(const struct async_task_finder *f, const uint8_t *words, size_t len)
{
	size_t i, nwords = len / 8;

	if (!f->nruns)
		return 0;
	for (i = 0; i < nwords; i++) {
		const struct task_run_fn *run = run_holding(f, word_at(words, i));
		uint64_t header;

		if (run && (header = header_near(f, words, nwords, i, run->start)))
			return header;
	}
	return 0;
}

/* A user-space data address, as a task header is (heap). */
static bool pointer_like(uint64_t w)
{
	return w >= 0x10000 && w < 0x800000000000ULL && !(w & 7);
}

static bool listed(const uint64_t *out, size_t n, uint64_t w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (out[i] == w)
			return true;
	return false;
}

size_t async_task_candidates(const struct async_task_finder *f, const uint8_t *words, size_t len,
			     uint64_t *out, size_t max)
{
	size_t i, d, n = 0, nwords = len / 8;

	for (i = 0; i < nwords && !run_holding(f, word_at(words, i)); i++)
		;
	if (i == nwords)
		return 0;
	for (d = 1; d <= TASK_ON_STACK_ABOVE && n < max; d++) {
		uint64_t w;

		if (d <= TASK_ON_STACK_BELOW && d <= i && pointer_like(w = word_at(words, i - d)) &&
		    !run_holding(f, w) && !listed(out, n, w))
			out[n++] = w;
		if (n < max && i + d < nwords && pointer_like(w = word_at(words, i + d)) &&
		    !run_holding(f, w) && !listed(out, n, w))
			out[n++] = w;
	}
	return n;
}
