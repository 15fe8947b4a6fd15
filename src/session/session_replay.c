/* A session fed from a recording instead of probes (cattop replay, the
 * exports): the recording's events, ticks and stuck polls go through the
 * same model code as the live ones, so a replay shows what the live view
 * showed. */
#include "session/session.h"

#include <string.h>

#include "model/stuck_task.h"
#include "recording/replay.h"
#include "session/task_walk_feed.h"

/* Replay: the recording's events and ticks go where the probes' would. */
static void replay_event(void *ctx, const struct poll_event *ev)
{
	struct session *s = ctx;

	poll_tracker_handle(&s->tracker, ev);
}

struct dead_list {
	const uint32_t *tids;
	size_t count;
};

/* In a replay a thread lives until the recording says it was found dead. */
static int thread_not_listed(uint32_t tid, void *ctx)
{
	const struct dead_list *dead = ctx;
	size_t i;

	for (i = 0; i < dead->count; i++)
		if (dead->tids[i] == tid)
			return 0;
	return 1;
}

static void replay_tick(void *ctx, const struct recording_tick *t, const uint32_t *dead)
{
	struct session *s = ctx;
	struct dead_list list = {dead, t->dead_threads};

	s->events_lost = t->events_lost;
	if (!(t->flags & TICK_MODEL))
		return;
	task_model_prune(&s->model, t->ts);
	if (t->dead_threads && dead)
		poll_tracker_reap_threads(&s->tracker, thread_not_listed, &list, t->ts);
}

static void replay_stuck(void *ctx, const struct recording_stuck *st, const uint32_t *sites)
{
	struct session *s = ctx;

	stuck_task_begin(&s->model, st->tid, st->since, sites, st->site_count);
}

static void replay_stuck_end(void *ctx, const struct recording_stuck_end *end)
{
	struct session *s = ctx;

	stuck_task_end(&s->model, end->tid, end->ts);
}

static void replay_walk(void *ctx, const struct recording_walk *walk, const uint8_t *tasks)
{
	task_walk_feed_replay(ctx, walk, tasks);
}

static void replay_reset_model(struct session *s)
{
	poll_tracker_free(&s->tracker);
	task_model_free(&s->model);
	task_model_init(&s->model, s->model.threshold_ns, s->cfg->retain_done_ns,
			s->cfg->max_done_tasks);
	s->model.attached_at = s->started_ns;
	poll_tracker_init(&s->tracker, &s->sites, &s->model);
	s->tracker.returns_ready_at = s->replay->rec.info.returns_ready_at;
	s->tracker.launch_exec_due = s->replay->rec.info.flags & RECORDING_LAUNCH_EXEC;
	s->tracker.code_bias = s->replay->rec.code_bias;
	s->tracker.code_bias_known = s->replay->rec.info.flags & RECORDING_CODE_BIAS;
	s->events_lost = 0;
	replay_rewind(s->replay);
}

void session_seek(struct session *s, uint64_t t)
{
	struct replay_sink sink = {replay_event, replay_tick,	   s,
				   replay_stuck, replay_stuck_end, replay_walk};
	const struct recording *rec;

	if (!s->replay)
		return;
	rec = &s->replay->rec;
	if (t < s->replay->now)
		replay_reset_model(s);
	replay_advance(s->replay, t, &sink);
	s->target.exited = replay_at_end(s->replay) && rec->end_reason == END_TARGET_EXITED;
}

uint64_t session_replay_end(const struct session *s)
{
	return s->replay ? replay_end(s->replay) : 0;
}

static void fill_from_recording(struct session *s, struct recording *rec)
{
	s->target.pid = (pid_t)rec->info.pid;
	s->target.release_fd = -1;
	s->target.binary_fd = -1;
	snprintf(s->target.exe, sizeof(s->target.exe), "%s", rec->exe);
	snprintf(s->target.comm, sizeof(s->target.comm), "%s", rec->comm);
	/* The model reads sites from the session: they move there. */
	s->sites = rec->sites;
	memset(&rec->sites, 0, sizeof(rec->sites));
	s->probes.attached_sites = rec->info.attached_sites;
	s->probes.rejected_sites = rec->info.rejected_sites;
	s->probes.attach_ns = rec->info.attach_ns;
	s->probes.returns_ready_at = rec->info.returns_ready_at;
	s->started_ns = rec->info.started_ns;
}

int session_open_replay(struct session *s, struct config *cfg, const char *path,
			uint64_t threshold_ns, char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->target.release_fd = -1;
	s->target.binary_fd = -1;
	ret = replay_open(&s->replay, path, err, errlen);
	if (ret)
		return ret;
	fill_from_recording(s, &s->replay->rec);
	task_model_init(&s->model, threshold_ns ? threshold_ns : s->replay->rec.info.threshold_ns,
			cfg->retain_done_ns, cfg->max_done_tasks);
	s->model.attached_at = s->started_ns;
	poll_tracker_init(&s->tracker, &s->sites, &s->model);
	s->tracker.returns_ready_at = s->replay->rec.info.returns_ready_at;
	s->tracker.launch_exec_due = s->replay->rec.info.flags & RECORDING_LAUNCH_EXEC;
	s->tracker.code_bias = s->replay->rec.code_bias;
	s->tracker.code_bias_known = s->replay->rec.info.flags & RECORDING_CODE_BIAS;
	return 0;
}
