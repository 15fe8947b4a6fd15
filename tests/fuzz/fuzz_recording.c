/* libFuzzer harness: the recording reader (src/recording/recording_reader.c)
 * and a full replay of what it accepts through the model and every export
 * format, as `cattop replay` and `cattop export` would run it on a file
 * from elsewhere. Anything the reader lets through must replay without a
 * crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/chrome_trace.h"
#include "export/folded_stacks.h"
#include "export/poll_span_source.h"
#include "model/poll_tracker.h"
#include "model/stuck_task.h"
#include "model/task_model.h"
#include "recording/recording_reader.h"
#include "recording/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_model {
	struct site_table *sites;
	struct task_model model;
	struct poll_tracker tracker;
};

static void on_event(void *ctx, const struct poll_event *ev)
{
	struct fuzz_model *m = ctx;

	poll_tracker_handle(&m->tracker, ev);
}

static void on_tick(void *ctx, const struct recording_tick *t, const uint32_t *dead)
{
	struct fuzz_model *m = ctx;

	(void)dead;
	if (t->flags & TICK_MODEL)
		task_model_prune(&m->model, t->ts);
}

static void on_stuck(void *ctx, const struct recording_stuck *st, const uint32_t *sites)
{
	struct fuzz_model *m = ctx;

	stuck_task_begin(&m->model, st->tid, st->since, sites, st->site_count);
}

static void on_stuck_end(void *ctx, const struct recording_stuck_end *end)
{
	struct fuzz_model *m = ctx;

	stuck_task_end(&m->model, end->tid, end->ts);
}

/* As the session replays a walk (session/task_walk_feed.c), with the
 * recording's own values however wrong they are. */
static void on_walk(void *ctx, const struct recording_walk *w, const uint8_t *tasks)
{
	struct fuzz_model *m = ctx;
	uint64_t lists[64];
	bool complete[64];
	size_t i, n = w->nlists < 64 ? w->nlists : 64;

	for (i = 0; i < w->count; i++) {
		struct recording_walked_task r = recording_walked_task_at(tasks, i);
		uint32_t site = r.poll_site < m->sites->count ? r.poll_site : UINT32_MAX;
		struct task *t =
		    task_model_walked(&m->model, r.key, r.list, r.runtime_id, r.state, site, w->ts);

		if (t && !t->roots && r.root_site < m->sites->count)
			task_model_child(t, NULL, r.root_site);
	}
	for (i = 0; i < n; i++) {
		struct recording_walk_list l = recording_walk_list_at(w, tasks, i);

		lists[i] = l.list;
		complete[i] = l.complete != 0;
	}
	task_model_walk_done(&m->model, lists, complete, n, w->ts);
}

static void count_span(void *ctx, const struct poll_span *span)
{
	uint64_t *n = ctx;

	if (span->end < span->start || span->depth >= MAX_OPEN_FRAMES)
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay r = {0};
	struct fuzz_model m;
	struct replay_sink sink = {on_event, on_tick, &m, on_stuck, on_stuck_end, on_walk};
	char err[256];
	uint64_t spans = 0;

	if (recording_parse(data, size, &r.rec, err, sizeof(err))) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort(); /* an error always comes with a reason */
		return 0;
	}
	r.now = replay_start(&r);
	m.sites = &r.rec.sites;
	task_model_init(&m.model, r.rec.info.threshold_ns, 5000000000ULL, 1000);
	poll_tracker_init(&m.tracker, &r.rec.sites, &m.model);
	m.tracker.returns_ready_at = r.rec.info.returns_ready_at;
	/* as session_replay.c: callers of futures told by the recorded bias */
	m.tracker.code_bias = r.rec.code_bias;
	m.tracker.code_bias_known = r.rec.info.flags & RECORDING_CODE_BIAS;
	m.tracker.on_span = count_span;
	m.tracker.span_ctx = &spans;
	replay_advance(&r, replay_start(&r) + (replay_end(&r) - replay_start(&r)) / 2, &sink);
	replay_advance(&r, replay_end(&r), &sink);
	poll_tracker_report_open(&m.tracker, replay_end(&r));
	poll_tracker_free(&m.tracker);
	task_model_free(&m.model);
	recording_free(&r.rec);
	return 0;
}
