#include "taskwalk/async_task_on_stack.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

static bool of_run(const struct async_task_finder *f, uint64_t w, uint64_t run)
{
	return w && (uintptr_t)u64_map_get(&f->headers, w) == run;
}

/* Word k of the stack, 0 past its ends. */
static uint64_t word_or_0(const struct stack_view *v, ptrdiff_t k)
{
	return k >= 0 && (size_t)k < v->len / 8 ? word_at(v->words, (size_t)k) : 0;
}

/* The header of a task of run nearest slot p (a word's index; -1 for the
 * instruction pointer, run's own code running), or in a register, or 0. */
static uint64_t header_near(const struct async_task_finder *f, const struct stack_view *v,
			    ptrdiff_t p, uint64_t run)
{
	ptrdiff_t d;
	size_t k;
	uint64_t w;

	for (d = 1; d <= p || d <= TASK_ON_STACK_ABOVE; d++) {
		if (d <= p && of_run(f, w = word_or_0(v, p - d), run))
			return w;
		if (d <= TASK_ON_STACK_ABOVE && of_run(f, w = word_or_0(v, p + d), run))
			return w;
	}
	for (k = 0; k < v->nregs; k++)
		if (of_run(f, v->regs[k], run))
			return v->regs[k];
	return 0;
}

/* The innermost slot in a run function (-1: the instruction pointer),
 * from slot from on; PTRDIFF_MAX if none. */
static ptrdiff_t next_run_slot(const struct async_task_finder *f, const struct stack_view *v,
			       ptrdiff_t from, const struct task_run_fn **run)
{
	ptrdiff_t k;

	if (from < 0 && (*run = run_holding(f, v->ip + 1)))
		return -1; /* + 1: run's first byte is code running too */
	for (k = from < 0 ? 0 : from; (size_t)k < v->len / 8; k++)
		if ((*run = run_holding(f, word_at(v->words, (size_t)k))))
			return k;
	return PTRDIFF_MAX;
}

uint64_t async_task_on_stack(const struct async_task_finder *f, const struct stack_view *v,
			     bool *in_run)
{
	const struct task_run_fn *run;
	ptrdiff_t p;
	uint64_t header;

	*in_run = false;
	if (!f->nruns)
		return 0;
	for (p = next_run_slot(f, v, -1, &run); p != PTRDIFF_MAX;
	     p = next_run_slot(f, v, p + 1, &run)) {
		*in_run = true;
		if ((header = header_near(f, v, p, run->start)))
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

static void offer(uint64_t *out, size_t *n, size_t max, const struct async_task_finder *f,
		  uint64_t w)
{
	if (*n < max && pointer_like(w) && !run_holding(f, w) && !listed(out, *n, w))
		out[(*n)++] = w;
}

size_t async_task_candidates(const struct async_task_finder *f, const struct stack_view *v,
			     uint64_t *out, size_t max)
{
	const struct task_run_fn *run;
	ptrdiff_t p = next_run_slot(f, v, -1, &run), d;
	size_t k, n = 0;

	if (p == PTRDIFF_MAX)
		return 0;
	for (d = 1; (d <= p || d <= TASK_ON_STACK_ABOVE) && n < max; d++) {
		if (d <= p)
			offer(out, &n, max, f, word_or_0(v, p - d));
		if (d <= TASK_ON_STACK_ABOVE)
			offer(out, &n, max, f, word_or_0(v, p + d));
	}
	for (k = 0; k < v->nregs; k++)
		offer(out, &n, max, f, v->regs[k]);
	return n;
}
