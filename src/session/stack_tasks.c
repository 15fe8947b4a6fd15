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
#include "util/clock.h"

static void on_stack(void *ctx, const struct stack_sample *in)
{
	struct stack_tasks *st = ctx;
	uint64_t regs[STACK_SAMPLE_REGS], header;
	struct stack_view v = {in->stack, in->len, in->ip, regs, STACK_SAMPLE_REGS};
	bool in_run;
	size_t i;

	for (i = 0; i < STACK_SAMPLE_REGS; i++)
		regs[i] = in->callee_saved[i];
	header = async_task_on_stack(&st->finder, &v, &in_run);
	st->samples++;
	st->found += header != 0;
	if (!header && in_run && !st->ncandidates && st->seeds_left)
		st->ncandidates =
		    async_task_candidates(&st->finder, &v, st->candidates, STACK_TASK_CANDIDATES);
	/* In a run with its task not told: some task's poll, not known which
	 * (one spawned since the last walk, or its header out of sight). Else
	 * the task found, or none at all (no run: the executor's own code). */
	if (!header && in_run)
		task_samples_add_unknown(&st->s->samples, in->ts);
	else
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
		st->started_ns = monotonic_now_ns();
	if (!ret)
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

/* The first walk with tasks in it (their executor found through a stack,
 * or just read): the samples so far could be of no task, whatever ran.
 * Shares start from here, rather than be diluted by that time. */
static void tasks_found(struct stack_tasks *st)
{
	struct task_samples *ts = &st->s->samples;
	uint64_t period = ts->period_ns, wedge = ts->wedge_ns;

	st->tasks_known = true;
	if (!ts->samples)
		return;
	task_samples_free(ts);
	task_samples_init(ts, period, wedge, monotonic_now_ns());
}

/* Offers the candidates of a sample that found no walked task: whether
 * one led the walk to a new executor (walked already). */
static bool offer_candidates(struct stack_tasks *st)
{
	bool found = false;
	size_t i;

	for (i = 0; i < st->ncandidates && st->seeds_left && !found; i++) {
		st->seeds_left--;
		found = task_walk_feed_seed(st->s, st->candidates[i]);
	}
	st->ncandidates = 0;
	return found;
}

void stack_tasks_tick(struct stack_tasks *st)
{
	struct session *s = st->s;
	const struct task_source *src = task_walk_feed_source(s);
	const struct task_walk *walk;
	struct task_run_fn *runs;
	size_t nruns;

	if (!src || !s->code_bias_known || st->finder_walk == s->walk_summary.walks)
		return;
	/* Drained first: samples taken before this walk are judged by the
	 * tasks it followed. */
	stack_sampler_drain(&st->sampler);
	walk = task_source_last_walk(src);
	nruns = known_runs(s, &runs);
	if (!async_task_finder_build(&st->finder, walk->tasks, walk->count, run_size, s, runs,
				     nruns))
		st->finder_walk = s->walk_summary.walks;
	free(runs);
	if (!st->tasks_known && st->finder.headers.count)
		tasks_found(st);
}

void stack_tasks_drain(struct stack_tasks *st)
{
	stack_sampler_drain(&st->sampler);
	/* Drains come every 50 ms: a task's executor found through its stack
	 * is walked and its tasks looked for at once. */
	if (st->ncandidates && offer_candidates(st))
		stack_tasks_tick(st);
}

void stack_tasks_stop(struct stack_tasks *st)
{
	stack_sampler_stop(&st->sampler);
	async_task_finder_free(&st->finder);
}
