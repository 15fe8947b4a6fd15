#include "session/stack_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/task_samples.h"
#include "probe/elf_symbols.h"
#include "probe/stack_scan.h"
#include "probe/site_table.h"
#include "session/session.h"
#include "session/task_walk_feed.h"
#include "taskwalk/task_source.h"

static void on_stack(void *ctx, const struct stack_sample *in)
{
	struct stack_tasks *st = ctx;
	uint64_t header = async_task_on_stack(&st->finder, in->stack, in->len);

	st->samples++;
	st->found += header != 0;
	if (!header && !st->ncandidates && st->seeds_left)
		st->ncandidates = async_task_candidates(&st->finder, in->stack, in->len,
							st->candidates, STACK_TASK_CANDIDATES);
	/* No task found: the thread runs the executor's own code (or a task
	 * spawned since the last walk), counted as running none. */
	task_samples_add(&st->s->samples, in->tid, header, in->nvcsw, in->len > 0, in->ts);
}

int stack_tasks_start(struct stack_tasks *st, struct session *s, uint64_t period_ns, char *err,
		      size_t errlen)
{
	int ret;

	memset(st, 0, sizeof(*st));
	st->s = s;
	st->seeds_left = STACK_TASK_SEEDS;
	ret = stack_sampler_start_periodic(&st->sampler, s->target.pid, period_ns, on_stack, st);
	if (ret)
		snprintf(err, errlen, "cannot sample the threads' stacks: %s", strerror(-ret));
	else
		stack_tasks_tick(st);
	return ret;
}

/* A run function's size, from the symbol at its run-time address. */
static uint64_t run_size(void *ctx, uint64_t addr)
{
	const struct session *s = ctx;
	const struct elf_symbol *sym = symbol_at(&s->symbols, addr - (uint64_t)s->code_bias);

	return sym && sym->addr == addr - (uint64_t)s->code_bias ? sym->size : 0;
}

/* The task poll entries the site table has (async-task's RawTask::run
 * monomorphs), at run-time addresses: a task of a type the walk has not
 * met is still seen running, and its header offered to the walk. */
static size_t known_runs(const struct session *s, struct task_run_fn **out)
{
	size_t i, n = 0;

	*out = calloc(s->sites.count ? s->sites.count : 1, sizeof(**out));
	if (!*out)
		return 0;
	for (i = 0; i < s->sites.count; i++) {
		const struct site *site = &s->sites.sites[i];

		if (site->role == SITE_TASK_POLL && site->size)
			(*out)[n++] =
			    (struct task_run_fn){site->addr + (uint64_t)s->code_bias,
						 site->addr + site->size + (uint64_t)s->code_bias};
	}
	return n;
}

/* Offers the candidates of a sample that found no walked task. */
static void offer_candidates(struct stack_tasks *st)
{
	size_t i;

	for (i = 0; i < st->ncandidates && st->seeds_left; i++) {
		st->seeds_left--;
		if (task_walk_feed_seed(st->s, st->candidates[i]))
			break; /* its executor: walked from the next walk on */
	}
	st->ncandidates = 0;
}

void stack_tasks_tick(struct stack_tasks *st)
{
	struct session *s = st->s;
	const struct task_source *src = task_walk_feed_source(s);
	const struct task_walk *walk;
	struct task_run_fn *runs;
	size_t nruns;

	if (!src || !s->code_bias_known)
		return;
	offer_candidates(st);
	if (st->finder_walk == s->walk_summary.walks)
		return;
	/* Drained first: samples taken before this walk are judged by the
	 * tasks it followed. */
	stack_tasks_drain(st);
	walk = task_source_last_walk(src);
	nruns = known_runs(s, &runs);
	if (!async_task_finder_build(&st->finder, walk->tasks, walk->count, run_size, s, runs,
				     nruns))
		st->finder_walk = s->walk_summary.walks;
	free(runs);
}

void stack_tasks_drain(struct stack_tasks *st)
{
	stack_sampler_drain(&st->sampler);
}

void stack_tasks_stop(struct stack_tasks *st)
{
	stack_sampler_stop(&st->sampler);
	async_task_finder_free(&st->finder);
}
