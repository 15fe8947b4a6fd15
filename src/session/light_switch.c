/* Light mode switched while running (the live view's L key): the probes go
 * (nothing of cattop's is left in the target's code) and the sampler comes,
 * or back. The model stays: tasks keep what the probes counted so far. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "probe/exit_sites.h"
#include "session/session.h"
#include "util/clock.h"

/* A poll in flight is never seen to end once the probes are gone, and the
 * running marks are the other source's: both start over. */
static void forget_running(struct session *s)
{
	struct task *t;

	for (t = s->model.first; t; t = t->next) {
		t->running_tid = 0;
		t->stats.inflight_since = 0;
	}
}

static void restart_tracker(struct session *s)
{
	poll_tracker_free(&s->tracker);
	poll_tracker_init(&s->tracker, &s->sites, &s->model);
	s->tracker.code_bias = s->code_bias;
	s->tracker.code_bias_known = s->code_bias_known;
}

static void enter_light(struct session *s)
{
	probes_detach(&s->probes);
	stack_watch_stop(&s->stacks);
	memset(&s->focus, 0, sizeof(s->focus)); /* its probes went with the rest */
	restart_tracker(s);
	forget_running(s);
	s->light = true;
	s->model.rows_for_all_walked = true;
	light_feed_start(s);
}

int session_set_light(struct session *s, bool light, char *err, size_t errlen)
{
	int ret;

	if (light == s->light)
		return 0;
	if (s->replay || !s->attached || s->target.exited || s->target.execed) {
		snprintf(err, errlen, "light mode switches on a live process only");
		return -EINVAL;
	}
	if (s->recorder) {
		snprintf(err, errlen, "stop the recording first (R)");
		return -EBUSY;
	}
	if (light) {
		enter_light(s);
		return 0;
	}
	light_feed_stop(s);
	stack_watch_stop(&s->stacks);
	forget_running(s);
	restart_tracker(s);
	s->light = false;
	s->model.rows_for_all_walked = false;
	exit_finder_close(s->exits); /* opened again by the attach */
	s->exits = NULL;
	ret = session_attach_probes(s, err, errlen);
	if (ret) {
		probes_detach(&s->probes); /* what went in of them */
		enter_light(s);
		return ret;
	}
	s->tracker.returns_ready_at = s->probes.returns_ready_at;
	s->model.attached_at = monotonic_now_ns();
	stack_watch_start(&s->stacks, s); /* optional: cattop works on without */
	duty_cycle_start(s, s->duty.pct); /* the windows go on */
	return 0;
}
