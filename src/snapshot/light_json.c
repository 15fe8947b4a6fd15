#include "snapshot/light_json.h"

#include "session/session.h"

void light_json_null_stats(json_t *obj)
{
	static const char *const keys[] = {"polls",	 "busy_ns",	"max_poll_ns",
					   "slow_polls", "inflight_ns", "unknown_polls",
					   "cpu_wait_ns"};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set_new(obj, keys[i], json_null());
}

json_t *light_json_task(const struct session *s, const struct task *t, uint64_t now)
{
	const struct task_samples *ts = &s->samples;
	const struct sampled_task *st = task_samples_get(ts, task_sample_key(t));
	/* Marked at the last refresh, samples and walk together (light_feed.c). */
	const struct sampled_thread *th =
	    t->running_tid ? task_samples_thread(ts, t->running_tid) : NULL;
	json_t *o;

	if (!s->light_summary.sampling) /* smol: unknown, not 0 */
		return json_null();
	o = json_object();
	json_object_set_new(o, "samples", json_integer(st ? (json_int_t)st->samples : 0));
	json_object_set_new(o, "cpu_ns",
			    json_integer(st ? (json_int_t)(st->samples * ts->period_ns) : 0));
	json_object_set_new(o, "cpu_pct", json_real(task_samples_cpu_pct(ts, st, now)));
	json_object_set_new(o, "recent_cpu_pct", json_real(task_samples_recent_pct(ts, st)));
	json_object_set_new(o, "longest_run_ns",
			    json_integer(st ? (json_int_t)st->longest_run_ns : 0));
	json_object_set_new(o, "running_tid", th ? json_integer(th->tid) : json_null());
	json_object_set_new(o, "running_for_ns",
			    th ? json_integer((json_int_t)(th->last - th->since)) : json_null());
	json_object_set_new(o, "running_cpu_ns",
			    th ? json_integer((json_int_t)(th->run * ts->period_ns)) : json_null());
	json_object_set_new(o, "wedged", json_boolean(task_samples_wedged(ts, th)));
	return o;
}

json_t *light_json_summary(const struct session *s, uint64_t now)
{
	const struct task_samples *ts = &s->samples;
	json_t *o = json_object();

	json_object_set_new(o, "sampling", json_boolean(s->light_summary.sampling));
	json_object_set_new(o, "status", json_string(s->light_summary.status));
	json_object_set_new(o, "hz", json_integer(s->light_summary.hz));
	json_object_set_new(o, "period_ns", json_integer((json_int_t)ts->period_ns));
	json_object_set_new(o, "wedge_ns", json_integer((json_int_t)ts->wedge_ns));
	json_object_set_new(o, "samples", json_integer((json_int_t)ts->samples));
	json_object_set_new(o, "idle_samples", json_integer((json_int_t)ts->idle_samples));
	json_object_set_new(o, "unreadable_samples", json_integer((json_int_t)ts->unreadable));
	json_object_set_new(o, "sampled_ns",
			    json_integer((json_int_t)task_samples_span_ns(ts, now)));
	/* The span sampled, on CLOCK_MONOTONIC: to set against other
	 * measures of the same time (a thread's CPU time, say). */
	json_object_set_new(o, "started_at_ns", json_integer((json_int_t)ts->started_at));
	json_object_set_new(
	    o, "at_ns", json_integer((json_int_t)(ts->started_at + task_samples_span_ns(ts, now))));
	json_object_set_new(o, "cost_cpu_pct", json_real(session_probe_cost_pct(s, now)));
	return o;
}
