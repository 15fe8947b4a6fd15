#include "session/stack_watch.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/stuck_task.h"
#include "probe/stack_scan.h"
#include "recording/recorder.h"
#include "session/session.h"

/* Samples per second and CPU: enough to see a poll stuck for a second. */
#define SAMPLE_HZ 29
/* Threads examined per refresh for polls begun before attach. */
#define MAX_THREADS_PER_TICK 256

int stack_watch_start(struct stack_watch *w, struct session *s)
{
	size_t i;
	int ret;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < s->sites.count; i++)
		u64_map_put(&w->site_at_addr, s->sites.sites[i].addr, (void *)(uintptr_t)(i + 1));
	code_image_open(s->target.binary, &w->image); /* without it: no call check */
	ret = stack_sampler_start(&w->sampler, s->target.pid, SAMPLE_HZ);
	w->running = ret == 0;
	return ret;
}

static struct poll_stack *scan_sample(struct stack_watch *w, struct session *s,
				      const struct stack_sample *sample, uint64_t since)
{
	struct poll_stack *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	struct scan_target target = {s->target.pid, s->code_bias};

	ps->taken_at = sample->ts;
	ps->poll_began = since;
	ps->count = stack_scan(sample, &target, &s->symbols, w->image, ps->frames, &ps->verified,
			       POLL_STACK_MAX);
	if (!ps->count) {
		free(ps);
		return NULL;
	}
	return ps;
}

static void keep_stack(struct poll_stack **slot, struct poll_stack *ps)
{
	free(*slot);
	*slot = ps;
}

static bool stack_holds_site(const struct session *s, const struct poll_stack *ps, uint32_t site)
{
	size_t i;

	for (i = 0; i < ps->count; i++) {
		const struct elf_symbol *sym = symbol_at(&s->symbols, ps->frames[i]);

		if (sym && sym->addr == s->sites.sites[site].addr)
			return true;
	}
	return false;
}

/* A poll over the threshold: what its thread is doing now. */
static void watch_slow_polls(struct stack_watch *w, struct session *s, uint64_t now)
{
	const struct u64_map *threads = &s->tracker.threads;
	size_t i;

	for (i = 0; threads->slots && i <= threads->mask; i++) {
		const struct thread_stack *st = threads->slots[i].value;
		const struct stack_sample *sample;
		const struct open_frame *f;
		struct poll_stack *ps, *have;

		if (!st || !st->depth)
			continue;
		f = &st->frames[st->depth - 1];
		if (f->no_return || now - f->start <= s->model.threshold_ns)
			continue;
		sample = stack_sampler_get(&w->sampler, st->tid, f->start);
		have = f->node ? f->node->slow_stack : f->task->slow_stack;
		/* A drain comes every 50 ms, a new sample at most 29 times a
		 * second: the same one is not scanned again. */
		if (!sample || (have && have->taken_at == sample->ts))
			continue;
		ps = scan_sample(w, s, sample, f->start);
		if (!ps)
			continue;
		/* The poll may have ended since the events were drained (its
		 * return not read yet): a stack without it is of something else. */
		if (!stack_holds_site(s, ps, f->site)) {
			free(ps);
			continue;
		}
		if (f->node) {
			struct poll_stack *copy = malloc(sizeof(*copy));

			if (copy)
				keep_stack(&f->task->slow_stack, memcpy(copy, ps, sizeof(*ps)));
			keep_stack(&f->node->slow_stack, ps);
		} else {
			keep_stack(&f->task->slow_stack, ps);
		}
	}
}

static int site_of(const struct stack_watch *w, const struct session *s, uint64_t vaddr)
{
	const struct elf_symbol *sym = symbol_at(&s->symbols, vaddr);
	uintptr_t id = sym ? (uintptr_t)u64_map_get(&w->site_at_addr, sym->addr) : 0;

	return (int)id - 1;
}

/* Whether the stack is inside a poll (a runtime task poll or a future);
 * the futures polling one another, outermost first, go to out. From the
 * innermost future outwards a frame only joins while each call on the way
 * is seen to go where the frame below is: a stale return address of an
 * earlier poll (another task's) stops the chain instead of naming it. */
static bool poll_on_stack(const struct stack_watch *w, const struct session *s,
			  const struct poll_stack *ps, uint32_t *out, size_t max, size_t *count,
			  size_t *innermost)
{
	uint32_t inner[POLL_STACK_MAX];
	size_t i, n = 0, k;
	bool task_poll = false, linked = true;

	for (i = 0; i < ps->count && n < POLL_STACK_MAX; i++) {
		int id = site_of(w, s, ps->frames[i]);

		if (n && !(ps->verified >> i & 1))
			linked = false;
		if (id >= 0 && s->sites.sites[id].role == SITE_TASK_POLL) {
			task_poll = true;
			if (!n)
				*innermost = i;
			break;
		}
		if (id >= 0 && s->sites.sites[id].role == SITE_FUTURE && !n)
			*innermost = i;
		if (id < 0 || s->sites.sites[id].role != SITE_FUTURE || !(linked || !n))
			continue;
		if (!n || inner[n - 1] != (uint32_t)id)
			inner[n++] = (uint32_t)id;
		linked = true;
	}
	for (k = 0; k < n && k < max; k++)
		out[k] = inner[n - 1 - k];
	*count = k;
	return task_poll || n;
}

static void add_stuck_task(struct stack_watch *w, struct session *s, uint32_t tid,
			   struct poll_stack *ps, const uint32_t *sites, size_t nsites,
			   uint64_t now)
{
	uint64_t since = poll_tracker_quiet_since(&s->tracker, s->started_ns);
	struct task *t = stuck_task_begin(&s->model, tid, since, sites, nsites);

	if (!t || u64_map_put(&w->stuck, tid, t)) {
		free(ps);
		return;
	}
	if (s->recorder)
		recorder_stuck_task(s->recorder, now, since, tid, sites, nsites);
	ps->poll_began = since; /* as far as anyone can tell */
	keep_stack(&t->slow_stack, ps);
}

/* The thread hit a probe: its old poll is over (its return went unseen). */
static void end_stuck_task(struct stack_watch *w, struct session *s, uint32_t tid, uint64_t now)
{
	if (!u64_map_remove(&w->stuck, tid))
		return;
	stuck_task_end(&s->model, tid, now);
	if (s->recorder)
		recorder_stuck_end(s->recorder, now, tid);
}

static bool polled_since_attach(const struct session *s, uint32_t tid)
{
	return poll_tracker_polled(&s->tracker, tid);
}

/* Frames 1..k were each seen to be called from the next one out. */
static bool calls_verified(const struct poll_stack *ps, size_t k)
{
	uint64_t want = k >= 63 ? ~1ULL : ((1ULL << (k + 1)) - 1) & ~1ULL;

	return k > 0 && (ps->verified & want) == want;
}

static bool thread_running(pid_t pid, uint32_t tid)
{
	char path[64], buf[512], *close_paren;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%u/stat", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	close_paren = strrchr(buf, ')'); /* the name may hold spaces and parens */
	return close_paren && close_paren[1] == ' ' && close_paren[2] == 'R';
}

static void look_at_thread(struct stack_watch *w, struct session *s, uint32_t tid, uint64_t now)
{
	uint32_t sites[POLL_STACK_MAX];
	const struct stack_sample *sample;
	struct poll_stack *ps;
	size_t n, innermost = 0;

	struct task *stuck = u64_map_get(&w->stuck, tid);

	if (stuck && polled_since_attach(s, tid)) {
		end_stuck_task(w, s, tid, now);
		return;
	}
	if (stuck && !s->tracker.windowed)
		return; /* its next poll hits a probe: that ends it */
	if (!stuck && polled_since_attach(s, tid))
		return;
	sample = stack_sampler_get(&w->sampler, tid, 0);
	ps = sample ? scan_sample(w, s, sample, 0) : NULL;
	/* Between duty windows no probe ends a poll found on a stack: the
	 * thread may have finished it and gone on (parked, or in a poll of
	 * another task) with no hit to say so. Looked at again, a stack that no
	 * longer shows it ends it, so a finished poll is not shown running on
	 * (nor, on that thread, a later wedge taken for it). */
	if (stuck) {
		bool same =
		    ps && poll_on_stack(w, s, ps, sites, POLL_STACK_MAX, &n, &innermost) &&
		    (n ? stuck->roots && stuck->roots->site == sites[0] : !stuck->roots) &&
		    (thread_running(s->target.pid, tid) || (n && calls_verified(ps, innermost)));

		if (same || !sample) {
			free(ps);
			return;
		}
		end_stuck_task(w, s, tid, now);
	}
	if (!ps)
		return;
	/* A parked worker's stack keeps stale words of the polls it ran
	 * before: of a thread that is not running, only a poll every call up
	 * to which is verified is believed, and never a bare task poll. */
	if (!poll_on_stack(w, s, ps, sites, POLL_STACK_MAX, &n, &innermost) ||
	    (!thread_running(s->target.pid, tid) && (!n || !calls_verified(ps, innermost)))) {
		free(ps);
		return;
	}
	add_stuck_task(w, s, tid, ps, sites, n, now);
}

static void watch_threads(struct stack_watch *w, struct session *s, uint64_t now)
{
	char path[64];
	struct dirent *d;
	int seen = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", s->target.pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir)) && seen < MAX_THREADS_PER_TICK) {
		uint32_t tid = (uint32_t)strtoul(d->d_name, NULL, 10);

		if (tid) {
			look_at_thread(w, s, tid, now);
			seen++;
		}
	}
	closedir(dir);
}

void stack_watch_drain(struct stack_watch *w, struct session *s, uint64_t now)
{
	if (!w->running)
		return;
	stack_sampler_drain(&w->sampler);
	watch_slow_polls(w, s, now);
}

/* A thread that ended in its poll: that poll is over too. */
static void end_stuck_of_dead_threads(struct stack_watch *w, struct session *s, uint64_t now)
{
	size_t i = 0;

	while (w->stuck.slots && i <= w->stuck.mask) {
		uint32_t tid = (uint32_t)w->stuck.slots[i].key;

		if (!w->stuck.slots[i].value || target_thread_exists(tid, &s->target)) {
			i++;
			continue;
		}
		end_stuck_task(w, s, tid, now); /* removes slot i: look at i again */
	}
}

void stack_watch_tick(struct stack_watch *w, struct session *s, uint64_t now)
{
	if (!w->running)
		return;
	stack_watch_drain(w, s, now);
	end_stuck_of_dead_threads(w, s, now);
	watch_threads(w, s, now);
	stack_sampler_prune(&w->sampler, target_thread_exists, &s->target);
}

void stack_watch_stop(struct stack_watch *w)
{
	if (w->running)
		stack_sampler_stop(&w->sampler);
	code_image_free(w->image);
	u64_map_free(&w->stuck);
	u64_map_free(&w->site_at_addr);
	memset(w, 0, sizeof(*w));
}
