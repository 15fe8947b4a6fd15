#include "export/poll_span_source.h"

#include "model/task_view.h"
#include "probe/classify.h"
#include "probe/site_table.h"
#include "session/session.h"

void span_describe(const struct session *s, const struct poll_span *span, struct span_info *out)
{
	const struct open_frame *f = span->frame;
	const struct site *site = &s->sites.sites[f->site];

	out->task_name = task_name(f->task, &s->sites);
	out->task_id = f->task->id;
	out->thread = span->stack->tid;
	out->slow = span->end - span->start - span->cpu_wait > s->model.threshold_ns;
	if (f->node) {
		out->name = site->name;
		out->kind = future_kind_name(site->kind);
		out->location = site->location;
	} else {
		/* A runtime's task poll: the task it polls is what matters. */
		out->name = out->task_name;
		out->kind = "task";
		out->location =
		    f->task->roots ? s->sites.sites[f->task->roots->site].location : NULL;
	}
}

void poll_spans_replay(struct session *s, poll_span_fn fn, void *ctx)
{
	s->tracker.on_span = fn;
	s->tracker.span_ctx = ctx;
	session_seek(s, session_replay_end(s));
	poll_tracker_report_open(&s->tracker, session_replay_end(s));
	s->tracker.on_span = NULL;
}
