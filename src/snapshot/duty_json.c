#include "snapshot/duty_json.h"

#include <time.h>

#include "session/session.h"
#include "util/clock.h"
#include "util/duration.h"

static double avg_ms(uint64_t total_ns, uint64_t n)
{
	return n ? (double)total_ns / (double)n / 1e6 : 0.0;
}

/* The last windows, oldest first; times from the start of the trace
 * (detach_ns 0: the window's links are still going). */
static json_t *recent_json(const struct session *s)
{
	const struct duty_cycle *d = &s->duty;
	uint64_t n = d->windows < DUTY_RECENT ? d->windows : DUTY_RECENT, i;
	json_t *a = json_array();

	for (i = d->windows - n; i < d->windows; i++) {
		const struct duty_window *w = &d->recent[i % DUTY_RECENT];
		json_t *o = json_object();

		json_object_set_new(o, "opened_ns", json_integer(w->opened_at - s->started_ns));
		json_object_set_new(o, "traced_ns", json_integer(w->closed_at - w->opened_at));
		json_object_set_new(o, "attach_ns", json_integer(w->attach_ns));
		json_object_set_new(o, "detach_ns", json_integer(w->detach_ns));
		json_object_set_new(o, "events", json_integer(w->events));
		json_array_append_new(a, o);
	}
	return a;
}

/* cattop's own CPU time so far (every thread of it). */
static uint64_t own_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

json_t *duty_json(const struct session *s, uint64_t now)
{
	const struct duty_cycle *d = &s->duty;
	json_t *o = json_object();

	json_object_set_new(o, "pct", json_integer(d->pct));
	json_object_set_new(o, "period_ns", json_integer(DUTY_PERIOD_NS));
	json_object_set_new(o, "window_ns", json_integer(d->window_ns));
	json_object_set_new(o, "probes_in", json_boolean(d->on));
	json_object_set_new(o, "held", json_boolean(d->hold));
	json_object_set_new(o, "windows", json_integer(d->windows));
	json_object_set_new(o, "traced_ns", json_integer(duty_cycle_traced_ns(d, now)));
	json_object_set_new(o, "traced_pct", json_real(duty_cycle_traced_pct(d, now)));
	/* What the tasks' figures are: raw, of the windows, not scaled up. */
	json_object_set_new(o, "counts", json_string("sampled"));
	json_object_set_new(o, "closing", json_boolean(d->closing_since != 0));
	json_object_set_new(o, "attach_ms_avg", json_real(avg_ms(d->attach_total_ns, d->reopened)));
	json_object_set_new(o, "attach_ms_max", json_real((double)d->attach_max_ns / 1e6));
	json_object_set_new(o, "detach_ms_avg", json_real(avg_ms(d->detach_total_ns, d->detached)));
	json_object_set_new(o, "detach_ms_max", json_real((double)d->detach_max_ns / 1e6));
	json_object_set_new(o, "late_ms_max", json_real((double)d->late_max_ns / 1e6));
	json_object_set_new(o, "cattop_cpu_ns", json_integer(own_cpu_ns()));
	json_object_set_new(o, "status", json_string(d->status));
	json_object_set_new(o, "recent", recent_json(s));
	return o;
}
