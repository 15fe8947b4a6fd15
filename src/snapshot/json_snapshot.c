#include "snapshot/json_snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/await_chain.h"
#include "model/task_groups.h"
#include "model/task_lints.h"
#include "model/task_view.h"
#include "probe/classify.h"
#include "session/session.h"
#include "snapshot/duty_json.h"
#include "snapshot/light_json.h"
#include "util/atomic_file.h"
#include "util/safe_text.h"

/* A name as a JSON string. Names are the target's, and jansson refuses
 * text that is not UTF-8 (the field would vanish): such a name is given
 * escaped, as batch mode and the live view show it. Control characters
 * are escaped by jansson itself. */
static json_t *text_json(const char *s)
{
	char escaped[4096];
	json_t *j = s ? json_string(s) : NULL;

	return j || !s ? j : json_string(safe_text(s, escaped, sizeof(escaped)));
}

/* A poll's time split: what it ran, slept in the kernel, and waited for
 * a CPU (blocked null where off-CPU time is not measured). */
static json_t *poll_json(const struct slow_poll *p, bool measured)
{
	json_t *o = json_object();

	json_object_set_new(o, "ns", json_integer((json_int_t)p->duration_ns));
	json_object_set_new(o, "running_ns",
			    measured ? json_integer((json_int_t)(p->duration_ns - p->blocked_ns))
				     : json_null());
	json_object_set_new(o, "blocked_ns",
			    measured ? json_integer((json_int_t)p->blocked_ns) : json_null());
	json_object_set_new(o, "runnable_ns", json_integer((json_int_t)p->cpu_wait_ns));
	return o;
}

/* The longest slow polls, each split: where slowness came from. */
static json_t *slow_polls_json(const struct poll_stats *st, uint64_t threshold, bool measured)
{
	json_t *list = json_array();
	int i;

	for (i = 0; i < RECENT_SLOW_POLLS && st->longest[i].duration_ns > threshold; i++)
		json_array_append_new(list, poll_json(&st->longest[i], measured));
	return list;
}

static void add_stats(json_t *obj, const struct poll_stats *st, uint64_t now,
		      const struct task_model *m)
{
	json_object_set_new(obj, "polls", json_integer(st->polls));
	json_object_set_new(obj, "busy_ns", json_integer(st->busy_ns));
	json_object_set_new(obj, "max_poll_ns", json_integer(st->max_poll_ns));
	json_object_set_new(obj, "slow_polls", json_integer(st->slow_polls));
	json_object_set_new(obj, "inflight_ns", json_integer(poll_stats_inflight(st, now)));
	json_object_set_new(obj, "unknown_polls", json_integer(st->unknown_polls));
	json_object_set_new(obj, "cpu_wait_ns", json_integer(st->cpu_wait_ns));
	json_object_set_new(obj, "blocked_ns",
			    m->blocked_measured ? json_integer(st->blocked_ns) : json_null());
	if (st->slow_polls)
		json_object_set_new(obj, "longest_slow_polls",
				    slow_polls_json(st, m->threshold_ns, m->blocked_measured));
}

static json_t *nullable_string(const char *s)
{
	return s ? text_json(s) : json_null();
}

/* What one task's JSON is built from. */
struct task_ctx {
	const struct session *s;
	const struct site_table *sites;
	uint64_t now;
	const struct await_source *src; /* NULL: the target cannot be read */
	bool wakes_probed;		/* the profile's task_wake sites are probed */
	struct await_frame chain[AWAIT_CHAIN_MAX];
	size_t chain_len;
	const char *chain_unknown; /* why an idle task has no chain */
};

/* The futures inlined into this one: their time is its time. */
static void add_inlined(json_t *f, const struct inlined_futures *in, int site)
{
	json_t *list = NULL;
	size_t i;

	for (i = 0; i < in->count; i++) {
		if (in->list[i].into_site != site)
			continue;
		if (!list)
			list = json_array();
		json_array_append_new(list, text_json(in->list[i].name));
	}
	if (list)
		json_object_set_new(f, "inlined", list);
}

/* The application's futures no probe can time, and why. */
static json_t *inlined_json(const struct inlined_futures *in)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < in->count; i++) {
		const struct inlined_future *f = &in->list[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", text_json(f->name));
		json_object_set_new(o, "kind", text_json(future_kind_name(f->kind)));
		json_object_set_new(o, "location", nullable_string(f->location));
		json_object_set_new(o, "inlined_into", text_json(f->into));
		json_object_set_new(o, "reason", text_json("inlined: no code of its own to probe"));
		json_array_append_new(list, o);
	}
	return list;
}

/* What the thread ran during a slow poll, innermost frame first. */
static json_t *stack_json(const struct session *s, const struct poll_stack *ps)
{
	json_t *o = json_object(), *frames = json_array();
	char name[1024];
	size_t i;

	for (i = 0; i < ps->count; i++) {
		session_frame_name(s, ps->frames[i], i == 0, name, sizeof(name));
		json_array_append_new(frames, text_json(name));
	}
	json_object_set_new(
	    o, "sampled_after_ns",
	    json_integer(ps->taken_at > ps->poll_began ? ps->taken_at - ps->poll_began : 0));
	json_object_set_new(o, "frames", frames);
	return o;
}

/* Where a future waits: its frame on the task's await stack, or, below a
 * join!/select!, as one of the futures awaited side by side. */
static struct await_frame node_frame(const struct future_node *n, const struct await_frame *parent,
				     const struct task_ctx *c)
{
	const struct await_frame *on_chain = await_chain_frame(c->chain, c->chain_len, n);

	return on_chain ? *on_chain : await_child_frame(parent, n, c->sites, c->src);
}

/* "awaiting" where known; where a future is known to wait but not where,
 * "awaiting": null and "awaiting_unknown" saying why. */
static void add_awaiting(json_t *f, const struct await_frame *w)
{
	if (w->awaiting)
		json_object_set_new(f, "awaiting", text_json(w->awaiting));
	else if (w->node) {
		json_object_set_new(f, "awaiting", json_null());
		json_object_set_new(f, "awaiting_unknown", text_json(w->unknown));
	}
}

static json_t *futures_json(const struct future_node *n, const struct await_frame *parent,
			    const struct task_ctx *c)
{
	const struct site_table *sites = c->sites;
	json_t *list = json_array();

	for (; n; n = n->next_sibling) {
		const struct site *site = &sites->sites[n->site];
		struct await_frame w = node_frame(n, parent, c);
		json_t *f = json_object();

		json_object_set_new(f, "name", text_json(site->name));
		json_object_set_new(f, "kind", text_json(future_kind_name(site->kind)));
		json_object_set_new(f, "crate", text_json(site->crate));
		json_object_set_new(f, "location", nullable_string(site->location));
		json_object_set_new(f, "path", text_json(site->path));
		if (c->s->light)
			light_json_null_stats(f);
		else
			add_stats(f, &n->stats, c->now, &c->s->model);
		add_awaiting(f, &w);
		if (n->slow_stack)
			json_object_set_new(f, "slow_poll_stack", stack_json(c->s, n->slow_stack));
		add_inlined(f, &c->s->inlined, (int)n->site);
		json_object_set_new(f, "children", futures_json(n->children, &w, c));
		json_array_append_new(list, f);
	}
	return list;
}

/* An idle task's async stack, root first: [{name, awaiting}, ...]. */
static json_t *await_stack_json(const struct task_ctx *c)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < c->chain_len; i++) {
		json_t *f = json_object();

		json_object_set_new(f, "name",
				    text_json(c->sites->sites[c->chain[i].node->site].name));
		add_awaiting(f, &c->chain[i]);
		if (c->chain[i].awaitee) /* what it awaits there: a lock, a channel, ... */
			json_object_set_new(f, "awaitee", text_json(c->chain[i].awaitee));
		json_array_append_new(list, f);
	}
	return list;
}

/* How long unpolled, and what the runtime's own task list said of it. */
static void add_idle(json_t *o, const struct task_model *m, const struct task *t, uint64_t now)
{
	bool since_attach;
	uint64_t idle = task_idle_ns(m, t, now, &since_attach);

	if (m->rows_for_all_walked) { /* light mode: no poll seen, idle time unknown */
		json_object_set_new(o, "idle_ns", json_null());
		json_object_set_new(o, "idle_since_attach", json_null());
	} else {
		json_object_set_new(o, "idle_ns", json_integer((json_int_t)idle));
		json_object_set_new(o, "idle_since_attach", json_boolean(idle && since_attach));
	}
	json_object_set_new(o, "walked", json_boolean(t->walked));
	if (t->runtime_id)
		json_object_set_new(o, "runtime_id", json_integer((json_int_t)t->runtime_id));
}

/* Only when a lint holds: "warnings": ["lost_waker"], and what a lint
 * says more of the task in "warning_details": {"awaiting_lock": "..."}. */
static void add_lints(json_t *o, const struct task *t, const struct lint_ctx *c)
{
	unsigned mask = task_lints(c, t);
	json_t *arr, *details;
	char detail[1024];
	int i;

	if (!mask)
		return;
	arr = json_array();
	details = json_object();
	for (i = 0; i < LINT_KINDS; i++) {
		enum task_lint lint = (enum task_lint)(1u << i);

		if (!(mask & lint))
			continue;
		json_array_append_new(arr, json_string(task_lint_name(lint)));
		if (task_lint_detail(c, t, lint, detail, sizeof(detail))[0])
			json_object_set_new(details, task_lint_name(lint), text_json(detail));
	}
	json_object_set_new(o, "warnings", arr);
	if (json_object_size(details))
		json_object_set_new(o, "warning_details", details);
	else
		json_decref(details);
}

/* How many tasks each lint holds for, with what it means. */
static json_t *lints_json(const struct session *s, uint64_t now)
{
	size_t counts[LINT_KINDS];
	json_t *o = json_object(), *meaning = json_object();
	struct await_source src;
	struct lint_ctx c;
	int i;

	session_lint_ctx(s, now, &src, &c);
	task_lints_count(&c, counts);
	for (i = 0; i < LINT_KINDS; i++) {
		enum task_lint lint = (enum task_lint)(1u << i);

		json_object_set_new(o, task_lint_name(lint), json_integer((json_int_t)counts[i]));
		json_object_set_new(meaning, task_lint_name(lint),
				    json_string(task_lint_text(lint)));
	}
	json_object_set_new(o, "meaning", meaning);
	return o;
}

/* The task-list walk: whether every live task is listed, or why not. */
static json_t *walk_json(const struct walk_summary *w)
{
	json_t *o = json_object();

	json_object_set_new(o, "active", json_boolean(w->active));
	json_object_set_new(o, "status", json_string(w->status));
	json_object_set_new(o, "tasks", json_integer((json_int_t)w->tasks));
	json_object_set_new(o, "runtimes", json_integer((json_int_t)w->runtimes));
	json_object_set_new(o, "complete", json_boolean(w->complete));
	json_object_set_new(o, "walk_ns", json_integer((json_int_t)w->walk_ns));
	json_object_set_new(o, "walks", json_integer((json_int_t)w->walks));
	return o;
}

/* Wakes and scheduled time, where the profile probes wakes: zeros
 * otherwise would claim what was not measured. The histogram lists the
 * non-empty log2 buckets as [lower bound ns, count]. */
static void add_sched(json_t *o, const struct sched_stats *s)
{
	json_t *hist = json_array();
	unsigned int i;

	json_object_set_new(o, "wakes", json_integer((json_int_t)s->wakes));
	json_object_set_new(o, "self_wakes", json_integer((json_int_t)s->self_wakes));
	json_object_set_new(o, "scheduled_polls", json_integer((json_int_t)s->scheduled));
	json_object_set_new(o, "scheduled_ns", json_integer((json_int_t)s->scheduled_ns));
	json_object_set_new(o, "max_scheduled_ns", json_integer((json_int_t)s->max_scheduled_ns));
	for (i = 0; i < POLL_HIST_BUCKETS; i++)
		if (s->hist[i])
			json_array_append_new(hist,
					      json_pack("[II]", (json_int_t)(i ? 1ULL << i : 0),
							(json_int_t)s->hist[i]));
	json_object_set_new(o, "scheduled_hist", hist);
}

static json_t *task_json(const struct task *t, struct task_ctx *c, const struct await_source *src)
{
	json_t *o = json_object();

	c->src = src;
	c->chain_len =
	    await_chain_build(t, c->sites, src, c->chain, AWAIT_CHAIN_MAX, &c->chain_unknown);
	json_object_set_new(o, "id", json_integer(t->id));
	json_object_set_new(o, "name", text_json(task_name(t, c->sites)));
	if (t->has_poll_site && t->poll_site < c->sites->count) {
		const struct site *poll = &c->sites->sites[t->poll_site];

		json_object_set_new(o, "type", nullable_string(site_task_type(poll)));
		/* the app's futures a library's task type runs (hyper's NewSvcTask) */
		if (poll->type_detail)
			json_object_set_new(o, "type_detail", text_json(poll->type_detail));
	}
	json_object_set_new(o, "state", text_json(task_state_name(task_state(t))));
	json_object_set_new(o, "block_on", json_boolean(t->block_on));
	if (c->s->light) { /* no poll is seen: null, not 0 */
		light_json_null_stats(o);
		json_object_set_new(o, "sampled", light_json_task(c->s, t, c->now));
	} else {
		add_stats(o, &t->stats, c->now, &c->s->model);
	}
	add_idle(o, &c->s->model, t, c->now);
	if (c->wakes_probed && !t->block_on)
		add_sched(o, &t->sched);
	if (c->chain_len)
		json_object_set_new(o, "await_stack", await_stack_json(c));
	else if (c->chain_unknown) /* idle, and where it waits is not known */
		json_object_set_new(o, "await_stack_unknown", text_json(c->chain_unknown));
	add_lints(o, t, &(struct lint_ctx){&c->s->model, c->sites, src, c->now});
	if (t->from_stack) /* its poll began before cattop attached */
		json_object_set_new(o, "found_on_stack", json_true());
	if (t->slow_stack)
		json_object_set_new(o, "slow_poll_stack", stack_json(c->s, t->slow_stack));
	json_object_set_new(o, "futures", futures_json(t->roots, NULL, c));
	return o;
}

static json_t *focus_json(const struct focus *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "task_types", text_json(f->label));
	json_object_set_new(o, "matched", json_integer(f->task_types));
	json_object_set_new(o, "futures", json_integer(f->futures));
	return o;
}

/* The BPF programs' own share of a hit (kernel.bpf_stats_enabled=1 needed;
 * bench/run.py sets it): the rest of a hit's cost is the kernel's uprobe. */
static void add_bpf_run_time(json_t *o, const struct session *s)
{
	uint64_t run_ns, run_cnt;

	probes_bpf_run_time(&s->probes, &run_ns, &run_cnt);
	if (!run_cnt)
		return;
	json_object_set_new(o, "bpf_run_ns", json_integer((json_int_t)run_ns));
	json_object_set_new(o, "bpf_run_cnt", json_integer((json_int_t)run_cnt));
}

static json_t *probes_json(const struct session *s, uint64_t now)
{
	json_t *o = json_object();

	json_object_set_new(o, "task_poll",
			    json_integer(site_table_count_role(&s->sites, SITE_TASK_POLL)));
	json_object_set_new(o, "task_end",
			    json_integer(site_table_count_role(&s->sites, SITE_TASK_END)));
	json_object_set_new(o, "futures",
			    json_integer(site_table_count_role(&s->sites, SITE_FUTURE)));
	json_object_set_new(o, "task_wake",
			    json_integer(site_table_count_role(&s->sites, SITE_TASK_WAKE)));
	json_object_set_new(o, "attached", json_integer(s->probes.attached_sites));
	json_object_set_new(o, "deferred", json_integer(site_table_count_deferred(&s->sites)));
	if (s->focus.active)
		json_object_set_new(o, "focus", focus_json(&s->focus));
	json_object_set_new(o, "rejected", json_integer(s->probes.rejected_sites));
	json_object_set_new(o, "unproven", json_integer(s->sites.unproven));
	json_object_set_new(o, "scan_ns", json_integer(s->scan_ns));
	json_object_set_new(o, "cached", json_boolean(s->sites_cached));
	json_object_set_new(o, "unknown_exits", json_integer(s->probes.unknown_exit_sites));
	json_object_set_new(o, "panics_watched", json_boolean(s->probes.panics_watched));
	json_object_set_new(o, "panics_seen", json_integer(s->tracker.counters.panics));
	json_object_set_new(o, "attach_ns", json_integer(s->probes.attach_ns));
	/* From the start of the attach to the probes all in and the target
	 * running: where -d and -n count from. */
	json_object_set_new(
	    o, "ready_ns",
	    json_integer(s->ready_ns > s->started_ns ? s->ready_ns - s->started_ns : 0));
	json_object_set_new(o, "dwarf", json_boolean(s->sites.dwarf_used));
	if (s->dwarf_path[0] && strcmp(s->dwarf_path, s->target.binary) != 0)
		json_object_set_new(o, "debug_file", text_json(s->dwarf_path));
	json_object_set_new(o, "single_step", json_integer(session_single_step_sites(s)));
	json_object_set_new(o, "caller_side", json_integer(s->probes.caller_sites));
	json_object_set_new(o, "cost_cpu_pct", json_real(session_probe_cost_pct(s, now)));
	add_bpf_run_time(o, s);
	return o;
}

static json_t *counters_json(const struct session *s)
{
	const struct tracker_counters *c = &s->tracker.counters;
	json_t *o = json_object();

	json_object_set_new(o, "events", json_integer(c->events));
	json_object_set_new(o, "unmatched_returns", json_integer(c->unmatched_returns));
	json_object_set_new(o, "abandoned_frames", json_integer(c->abandoned_frames));
	json_object_set_new(o, "too_deep", json_integer(c->too_deep));
	json_object_set_new(o, "unwound", json_integer(c->unwound));
	json_object_set_new(o, "gaps", json_integer(c->gaps));
	json_object_set_new(o, "orphans", json_integer(c->orphans));
	json_object_set_new(o, "tasks_seen", json_integer(s->model.tasks_seen));
	return o;
}

/* The grouped view's rows: tasks by root future, idle ones by await line. */
static json_t *groups_json(const struct session *s, const struct await_source *src, uint64_t now)
{
	json_t *arr = json_array();
	struct task_groups g;
	size_t i, j;

	if (task_groups_build(&s->model, &s->sites, src, NULL, NULL, SORT_ID, false, now, &g))
		return arr;
	for (i = 0; i < g.count; i++) {
		const struct task_group *tg = &g.groups[i];
		json_t *o = json_object(), *parked = json_array();

		json_object_set_new(o, "name", text_json(tg->name));
		json_object_set_new(o, "tasks", json_integer((json_int_t)tg->tasks));
		json_object_set_new(o, "live", json_integer((json_int_t)tg->live));
		if (s->light) {
			json_object_set_new(o, "polls", json_null());
			json_object_set_new(o, "busy_ns", json_null());
			json_object_set_new(o, "max_poll_ns", json_null());
			json_object_set_new(o, "slow_polls", json_null());
		} else {
			json_object_set_new(o, "polls", json_integer((json_int_t)tg->polls));
			json_object_set_new(o, "busy_ns", json_integer((json_int_t)tg->busy_ns));
			json_object_set_new(o, "max_poll_ns",
					    json_integer((json_int_t)tg->longest));
			json_object_set_new(o, "slow_polls", json_integer((json_int_t)tg->slow));
		}
		json_object_set_new(o, "idle_ns", json_integer((json_int_t)tg->idle_ns));
		for (j = 0; j < tg->parked_lines; j++) {
			json_t *p = json_object();

			json_object_set_new(p, "awaiting", text_json(tg->parked[j].at));
			json_object_set_new(p, "tasks",
					    json_integer((json_int_t)tg->parked[j].tasks));
			json_array_append_new(parked, p);
		}
		json_object_set_new(o, "parked", parked);
		json_object_set_new(o, "parked_unknown",
				    json_integer((json_int_t)tg->parked_unknown));
		json_array_append_new(arr, o);
	}
	task_groups_free(&g);
	return arr;
}

json_t *snapshot_build(const struct session *s, uint64_t now)
{
	json_t *root = json_object(), *tasks = json_array();
	struct task_ctx *ctx = calloc(1, sizeof(*ctx));
	struct await_source src;
	bool has_src = session_await_source(s, &src);
	struct task **sorted;
	size_t i, n;

	if (!ctx) {
		json_decref(root);
		json_decref(tasks);
		return NULL;
	}
	ctx->s = s;
	ctx->sites = &s->sites;
	ctx->now = now;
	ctx->wakes_probed = site_table_count_role(&s->sites, SITE_TASK_WAKE) > 0;

	json_object_set_new(root, "pid", json_integer(s->target.pid));
	json_object_set_new(root, "exe", text_json(s->target.exe));
	json_object_set_new(root, "runtime", text_json(s->sites.runtime->name));
	if (site_table_runtime_assumed(&s->sites))
		json_object_set_new(root, "runtime_assumed", json_true());
	json_object_set_new(root, "app_crate", text_json(s->sites.app_crate));
	json_object_set_new(root, "threshold_ns", json_integer(s->model.threshold_ns));
	/* What makes a poll slow: its own time, not the machine's. */
	json_object_set_new(root, "slow_rule",
			    json_string("running + blocked > threshold (runnable: waiting for a "
					"CPU, excluded)"));
	json_object_set_new(root, "blocked_measured", json_boolean(s->model.blocked_measured));
	json_object_set_new(root, "elapsed_ns", json_integer(now - s->started_ns));
	json_object_set_new(root, "events_lost", json_integer(s->events_lost));
	json_object_set_new(root, "target_exited", json_boolean(s->target.exited));
	json_object_set_new(root, "target_execed", json_boolean(s->target.execed));
	json_object_set_new(root, "mode",
			    json_string(s->light      ? "light"
					: s->duty.pct ? "duty"
						      : "probes"));
	if (s->light)
		json_object_set_new(root, "light", light_json_summary(s, now));
	json_object_set_new(root, "duty_pct", json_integer(s->light ? 0 : s->duty.pct));
	if (s->duty.pct && !s->light)
		json_object_set_new(root, "duty", duty_json(s, now));
	json_object_set_new(root, "probes", probes_json(s, now));
	json_object_set_new(root, "counters", counters_json(s));
	json_object_set_new(root, "unprobed_futures", inlined_json(&s->inlined));
	json_object_set_new(root, "task_walk", walk_json(&s->walk_summary));
	json_object_set_new(root, "warnings", lints_json(s, now));
	n = task_view_sorted(&s->model, &s->sites, SORT_MAX_POLL, false, now, &sorted);
	for (i = 0; i < n; i++)
		json_array_append_new(tasks, task_json(sorted[i], ctx, has_src ? &src : NULL));
	free(sorted);
	free(ctx);
	json_object_set_new(root, "tasks", tasks);
	json_object_set_new(root, "groups", groups_json(s, has_src ? &src : NULL, now));
	return root;
}

int snapshot_write(const struct session *s, uint64_t now, const char *path, char *err,
		   size_t errlen)
{
	json_t *doc = snapshot_build(s, now);
	int ret;

	if (!doc)
		return -ENOMEM;
	ret = snapshot_write_doc(doc, path, err, errlen);
	json_decref(doc);
	return ret;
}

int snapshot_write_doc(json_t *doc, const char *path, char *err, size_t errlen)
{
	struct atomic_file af;
	char why[512];
	int ret, write_err = 0;

	ret = atomic_file_open(&af, path, why, sizeof(why));
	if (!ret) {
		/* The reason of a failed write is in errno right then (a full
		 * disk), not after the stream is closed. ASCII only: a name's
		 * C1 or bidi controls as \u escapes, never raw on a terminal. */
		errno = 0;
		if (json_dumpf(doc, af.file, JSON_INDENT(2) | JSON_ENSURE_ASCII) ||
		    fputc('\n', af.file) == EOF || fflush(af.file))
			write_err = errno ? errno : EIO;
		ret = atomic_file_close(&af, false, why, sizeof(why));
		if (write_err) {
			ret = -write_err;
			snprintf(why, sizeof(why), "writing %s: %s", path, strerror(write_err));
		}
	}
	if (ret)
		snprintf(err, errlen, "snapshot: %s", why);
	return ret;
}
