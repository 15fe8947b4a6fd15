#include "session/duty_cycle.h"

#include <stdio.h>
#include <string.h>

#include "session/session.h"
#include "util/clock.h"
#include "util/duration.h"

void duty_cycle_start(struct session *s, unsigned int pct)
{
	struct duty_cycle *d = &s->duty;
	uint64_t ready = s->probes.returns_ready_at;

	if (!pct)
		return;
	/* Leaving light mode starts it again: what it measured so far stays,
	 * as the model keeps what the windows counted. */
	if (!d->first_open) {
		d->pct = pct;
		d->window_ns = DUTY_PERIOD_NS * pct / 100;
		d->first_open = ready;
	}
	s->tracker.windowed = true;
	d->closing_since = 0; /* light mode's detach waited for the links */
	d->on = true;
	d->attach_ns = 0;
	d->opened_at = ready;
	d->next_open = ready + DUTY_PERIOD_NS;
	d->events_at_open = s->tracker.counters.events;
}

/* The window is over when its probes begin to go out: counted then. */
static void note_window(struct duty_cycle *d, uint64_t closed_at)
{
	struct duty_window *w = &d->recent[d->windows % DUTY_RECENT];

	*w = (struct duty_window){d->opened_at, closed_at, d->attach_ns, 0, 0};
	d->traced_ns += closed_at > d->opened_at ? closed_at - d->opened_at : 0;
	d->windows++;
}

/* ...and what its detach took, and its events, once its links are gone. */
static void note_detach(struct duty_cycle *d, uint64_t detach_ns, uint64_t events)
{
	struct duty_window *w = &d->recent[(d->windows - 1) % DUTY_RECENT];

	w->detach_ns = detach_ns;
	w->events = events;
	d->detached++;
	d->detach_total_ns += detach_ns;
	if (detach_ns > d->detach_max_ns)
		d->detach_max_ns = detach_ns;
}

/* Nothing is counted from the moment the probes begin to go out (they go
 * one link after the other); what was in flight then is dropped once
 * their last events are in (finish_close). */
static void close_window(struct session *s, uint64_t due)
{
	struct duty_cycle *d = &s->duty;
	uint64_t t0 = monotonic_now_ns();

	if (t0 > due && t0 - due > d->late_max_ns)
		d->late_max_ns = t0 - due;
	poll_tracker_window_closing(&s->tracker, t0);
	probes_pause(&s->probes);
	focus_clear(s); /* its probes went with the rest */
	d->on = false;
	d->closing_since = t0;
	note_window(d, t0);
}

/* The links are gone: no event of theirs is still to come. */
static void finish_close(struct session *s)
{
	struct duty_cycle *d = &s->duty;

	probes_drain(&s->probes);
	poll_tracker_window_closed(&s->tracker, d->opened_at);
	note_detach(d, monotonic_now_ns() - d->closing_since,
		    s->tracker.counters.events - d->events_at_open);
	d->closing_since = 0;
}

/* Windows open on a fixed schedule (first_open + k periods); one missed
 * altogether (cattop stalled) is skipped, not made up for. */
static void open_window(struct session *s, uint64_t now)
{
	struct duty_cycle *d = &s->duty;
	uint64_t t0 = monotonic_now_ns();
	char err[160];

	if (now > d->next_open && now - d->next_open > d->late_max_ns && !d->hold)
		d->late_max_ns = now - d->next_open;
	while (d->next_open <= now)
		d->next_open += DUTY_PERIOD_NS;
	if (session_resume_probes(s, err, sizeof(err))) {
		snprintf(d->status, sizeof(d->status), "stopped: %s", err);
		d->stopped = true;
		return;
	}
	poll_tracker_window_opened(&s->tracker, s->probes.returns_ready_at);
	if (focus_default(s, err, sizeof(err))) /* --focus: its futures again */
		snprintf(d->status, sizeof(d->status), "focus lost: %s", err);
	d->attach_ns = monotonic_now_ns() - t0;
	d->attach_total_ns += d->attach_ns;
	d->reopened++;
	if (d->attach_ns > d->attach_max_ns)
		d->attach_max_ns = d->attach_ns;
	d->opened_at = s->probes.returns_ready_at;
	d->events_at_open = s->tracker.counters.events;
	d->on = true;
}

static bool cycling(const struct session *s)
{
	const struct duty_cycle *d = &s->duty;

	return d->pct && !d->stopped && !s->light && s->attached && !s->replay &&
	       !s->target.exited && !s->target.execed;
}

/* A window traces window_ns from when its returns are in, however long
 * taking the probes in took: the share traced is the one asked for. */
static uint64_t close_due(const struct duty_cycle *d)
{
	return d->opened_at + d->window_ns;
}

void duty_cycle_step(struct session *s, uint64_t now)
{
	struct duty_cycle *d = &s->duty;

	if (!cycling(s))
		return;
	if (d->closing_since) {
		if (!probes_pause_settled(&s->probes))
			return; /* the loop goes on meanwhile: drains, refreshes, keys */
		finish_close(s);
	}
	if (d->on && !d->hold && now >= close_due(d))
		close_window(s, close_due(d));
	else if (!d->on && (d->hold || now >= d->next_open))
		open_window(s, now);
}

uint64_t duty_cycle_sleep_ns(const struct session *s, uint64_t now, uint64_t max)
{
	const struct duty_cycle *d = &s->duty;
	uint64_t edge;

	if (!cycling(s) || (d->on && d->hold))
		return max;
	if (d->closing_since) /* looked at again soon: it may be over */
		return max < DUTY_SETTLE_POLL_NS ? max : DUTY_SETTLE_POLL_NS;
	edge = d->on ? close_due(d) : d->next_open;
	if (edge <= now)
		return 0;
	return edge - now < max ? edge - now : max;
}

uint64_t duty_cycle_traced_ns(const struct duty_cycle *d, uint64_t now)
{
	return d->traced_ns + (d->on && now > d->opened_at ? now - d->opened_at : 0);
}

double duty_cycle_traced_pct(const struct duty_cycle *d, uint64_t now)
{
	if (!d->first_open || now <= d->first_open)
		return 0;
	return 100.0 * (double)duty_cycle_traced_ns(d, now) / (double)(now - d->first_open);
}

void duty_cycle_describe(const struct duty_cycle *d, uint64_t now, char *buf, size_t len)
{
	if (!d->pct) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len,
		 "duty %u%%: probes on %llu ms of every 1 s, traced %.1f%% of %.0f s; counts "
		 "sampled%s%s%s",
		 d->pct, (unsigned long long)(d->window_ns / NSEC_PER_MSEC),
		 duty_cycle_traced_pct(d, now),
		 now > d->first_open ? (double)(now - d->first_open) / 1e9 : 0.0,
		 d->hold ? " (held open: a task is looked at)" : "", d->status[0] ? "; " : "",
		 d->status);
}

void duty_cycle_hold(struct session *s, bool hold)
{
	s->duty.hold = hold;
	if (hold)
		duty_cycle_step(s, monotonic_now_ns()); /* open now, not at the next second */
}
