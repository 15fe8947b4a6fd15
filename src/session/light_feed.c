#include "session/light_feed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/task_samples.h"
#include "probe/stack_scan.h"
#include "probe/task_sampler.h"
#include "session/session.h"
#include "session/stack_tasks.h"
#include "taskwalk/task_source.h"
#include "util/clock.h"

/* A run shorter than this many samples is noise, whatever the threshold:
 * one sample says nothing of how long a poll ran. */
#define MIN_WEDGE_SAMPLES 4
/* Tasks and threads not sampled for this long are forgotten, unless the
 * walk still lists the task. */
#define FORGET_NS (30ULL * 1000 * 1000 * 1000)
/* What one sample costs the thread it interrupts: the timer interrupt and
 * perf (~1 us) and the BPF program (0.5 us a run, bpftool's run_time_ns
 * with kernel.bpf_stats_enabled); a stack sample's program copies 32 KiB
 * (42 us a run, measured the same way). */
#define SAMPLE_COST_NS	     1500
#define STACK_SAMPLE_COST_NS 42000
#define STACK_SAMPLE_HZ	     29
/* The stack sampler costs ~30 times more a sample: it runs only while a
 * poll is wedged, and this long after the last one. */
#define STACK_WATCH_LINGER_NS (30ULL * 1000 * 1000 * 1000)
/* How long samples wait in the ring for the walk to make keys of them. */
#define KEY_WAIT_NS (10ULL * 1000 * 1000 * 1000)

struct light_feed {
	struct task_sampler sampler;
	/* Or, where the runtime keeps no running task to read (smol), the
	 * running task found on the stack. */
	struct stack_tasks from_stacks;
	bool on_stacks;
	bool tried;		/* sampler start attempted */
	uint64_t wedged_at;	/* the latest refresh that saw a wedged poll */
	uint64_t stack_samples; /* task samples taken while the stack sampler ran */
};

static void on_sample(void *ctx, const struct task_sample *in)
{
	struct session *s = ctx;
	const struct task_source *src = task_walk_feed_source(s);
	uint64_t key = in->task_id && src ? task_source_sample_key(src, in->task_id) : in->task_id;

	if (s->stacks.running)
		s->light_feed->stack_samples++;
	task_samples_add(&s->samples, in->tid, key, in->nvcsw,
			 !(in->flags & TASK_SAMPLE_UNREADABLE), in->ts);
}

void light_feed_start(struct session *s)
{
	s->light_summary.hz = LIGHT_SAMPLE_HZ;
	snprintf(s->light_summary.status, sizeof(s->light_summary.status),
		 "reading the runtime's layout");
	s->light_feed = calloc(1, sizeof(*s->light_feed));
	if (!s->light_feed)
		snprintf(s->light_summary.status, sizeof(s->light_summary.status), "out of memory");
}

/* Once the walk's source is open: where the running task's id is. */
static void start_sampler(struct session *s)
{
	struct light_summary *ls = &s->light_summary;
	const struct task_source *src = task_walk_feed_source(s);
	struct running_task_loc loc;
	uint64_t period, wedge;
	int ret;

	if (!src) {
		if (task_walk_feed_failed(s)) {
			s->light_feed->tried = true;
			snprintf(ls->status, sizeof(ls->status), "no task sampling: %.200s",
				 s->walk_summary.status);
		}
		return;
	}
	s->light_feed->tried = true;
	ret = task_source_running_task(src, &loc, ls->status, sizeof(ls->status));
	if (ret == -ENOTSUP) {
		/* Nowhere to read it: the stacks say it. */
		period = 1000000000ULL / LIGHT_SAMPLE_HZ;
		if (stack_tasks_start(&s->light_feed->from_stacks, s, period, ls->status,
				      sizeof(ls->status)))
			return;
		s->light_feed->on_stacks = true;
	} else if (ret ||
		   task_sampler_start(&s->light_feed->sampler, s->target.pid, LIGHT_SAMPLE_HZ, &loc,
				      on_sample, s, ls->status, sizeof(ls->status))) {
		return;
	} else {
		period = s->light_feed->sampler.period_ns;
	}
	wedge = MIN_WEDGE_SAMPLES * period;
	/* Shares are of the time since the perf events went in: not since
	 * the refresh that got here (the walk's source may have kept it
	 * waiting, and the program's load takes a while on a busy machine). */
	task_samples_init(&s->samples, period,
			  s->model.threshold_ns > wedge ? s->model.threshold_ns : wedge,
			  s->light_feed->on_stacks ? s->light_feed->from_stacks.started_ns
						   : s->light_feed->sampler.started_ns);
	ls->sampling = true;
	snprintf(ls->status, sizeof(ls->status), "%s",
		 s->light_feed->on_stacks ? "ok: the running task found on the stack" : "ok");
}

int light_feed_drain(struct session *s)
{
	const struct task_source *src;

	if (!s->light_feed)
		return 0;
	if (s->stacks.running)
		stack_sampler_drain(&s->stacks.sampler);
	/* Drains come every 50 ms: sampling starts as soon as the layout is
	 * read, not at the next refresh. */
	if (!s->light_feed->tried)
		start_sampler(s);
	if (s->light_feed->on_stacks) {
		stack_tasks_drain(&s->light_feed->from_stacks);
		return 0;
	}
	/* Samples the walk makes keys of (async-std's pointers) wait in the
	 * ring for the first walk, not taken for no task: its 1 MiB holds
	 * ~80 s of them at 199 Hz on 2 busy CPUs. A walk that never comes
	 * (its layout unreadable) does not keep them for good. */
	src = task_walk_feed_source(s);
	if (src && !task_source_sample_keys_ready(src) && s->light_summary.sampling &&
	    monotonic_now_ns() < s->samples.started_at + KEY_WAIT_NS)
		return 0;
	return task_sampler_drain(&s->light_feed->sampler);
}

/* The stack of a wedged poll: the thread's latest stack sample taken
 * during the run, kept as the task's slow-poll stack. */
static void take_stack(struct session *s, struct task *t, const struct sampled_thread *th)
{
	struct scan_target target = {s->target.pid, s->code_bias};
	const struct stack_sample *sample;
	struct poll_stack *ps;

	if (!s->stacks.running || !s->code_bias_known)
		return;
	sample = stack_sampler_get(&s->stacks.sampler, th->tid, th->since);
	if (!sample || (t->slow_stack && t->slow_stack->taken_at == sample->ts))
		return;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return;
	ps->taken_at = sample->ts;
	ps->poll_began = th->since;
	ps->count = stack_scan(sample, &target, &s->symbols, s->stacks.image, ps->frames,
			       &ps->verified, POLL_STACK_MAX);
	if (!ps->count) {
		free(ps);
		return;
	}
	free(t->slow_stack);
	t->slow_stack = ps;
}

/* Each walked task: running now on a sampled thread or not, and the stack
 * of its poll if wedged. live gets the runtime ids of the live tasks.
 * Returns whether a poll is wedged. */
static bool mark_running(struct session *s, uint64_t now, struct u64_map *live)
{
	bool wedged = false;
	struct task *t;

	for (t = s->model.first; t; t = t->next) {
		const struct sampled_thread *th;
		uint64_t key = task_sample_key(t);

		if (t->done || !key) /* 0: neither an id nor walked (block_on ones too) */
			continue;
		u64_map_put(live, key, (void *)1);
		th = task_samples_running(&s->samples, key, now);
		/* A latest sample a few periods old says the thread ran the task
		 * then: the walk (just now) says whether it still does. */
		if (th && t->walk_state != WALK_RUNNING &&
		    th->last + 2 * s->samples.period_ns < now)
			th = NULL;
		t->running_tid = th ? th->tid : 0;
		if (th && task_samples_wedged(&s->samples, th)) {
			wedged = true;
			take_stack(s, t, th);
		}
	}
	return wedged;
}

/* The stack sampler runs while polls wedge (and a while after): its stack
 * of the wedged poll shows from the next refresh on. */
static void watch_stacks(struct session *s, bool wedged, uint64_t now)
{
	struct light_feed *f = s->light_feed;

	if (wedged)
		f->wedged_at = now;
	if (wedged && !s->stacks.running && !s->target.execed)
		stack_watch_start(&s->stacks, s); /* optional: no stacks without */
	else if (!wedged && s->stacks.running && now > f->wedged_at + STACK_WATCH_LINGER_NS)
		stack_watch_stop(&s->stacks);
}

static bool in_map(uint64_t id, void *ctx)
{
	return u64_map_get(ctx, id) != NULL;
}

void light_feed_tick(struct session *s, uint64_t now)
{
	struct light_feed *f = s->light_feed;
	struct u64_map live = {0};

	if (!f)
		return;
	if (!f->tried)
		start_sampler(s);
	if (!s->light_summary.sampling)
		return;
	if (f->on_stacks)
		stack_tasks_tick(&f->from_stacks); /* the tasks of the walk just made */
	light_feed_drain(s);
	task_samples_roll(&s->samples, now);
	watch_stacks(s, mark_running(s, now, &live), now);
	task_samples_prune(&s->samples, now, FORGET_NS, in_map, &live);
	u64_map_free(&live);
}

void light_feed_stop(struct session *s)
{
	if (!s->light_feed)
		return;
	task_sampler_stop(&s->light_feed->sampler);
	if (s->light_feed->on_stacks)
		stack_tasks_stop(&s->light_feed->from_stacks);
	task_samples_free(&s->samples);
	free(s->light_feed);
	s->light_feed = NULL;
	s->light_summary.sampling = false;
}

double light_feed_cost_pct(const struct session *s, uint64_t now)
{
	uint64_t elapsed = task_samples_span_ns(&s->samples, now);
	double stack_samples;

	if (!elapsed || !s->light_summary.sampling)
		return 0;
	/* The stack sampler samples the same threads, 29 times a second; on
	 * stacks, every task sample is a stack sample. */
	stack_samples = (double)s->light_feed->stack_samples * STACK_SAMPLE_HZ / LIGHT_SAMPLE_HZ;
	if (s->light_feed->on_stacks)
		return 100.0 * ((double)s->samples.samples + stack_samples) * STACK_SAMPLE_COST_NS /
		       (double)elapsed;
	return 100.0 *
	       ((double)s->samples.samples * SAMPLE_COST_NS +
		stack_samples * STACK_SAMPLE_COST_NS) /
	       (double)elapsed;
}
