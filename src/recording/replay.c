#include "recording/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "bpf/poll_trace.h"

int replay_open(struct replay **out, const char *path, char *err, size_t errlen)
{
	struct replay *r = calloc(1, sizeof(*r));
	int ret;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = recording_load(path, &r->rec, err, errlen);
	if (ret) {
		free(r);
		return ret;
	}
	r->now = replay_start(r);
	*out = r;
	return 0;
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	recording_free(&r->rec);
	free(r);
}

static void feed_events(const struct recording_chunk *c, size_t event_size,
			const struct replay_sink *sink)
{
	size_t i, n = c->bytes / event_size;
	size_t copy =
	    event_size < sizeof(struct poll_event) ? event_size : sizeof(struct poll_event);

	for (i = 0; i < n; i++) {
		/* An older format's event lacks the fields at the end: zero,
		 * and time asleep unknown. */
		struct poll_event ev = {.asleep = ASLEEP_UNKNOWN};

		/* The payload has no alignment guarantee inside the file. */
		memcpy(&ev, c->payload + i * event_size, copy);
		sink->event(sink->ctx, &ev);
	}
}

static void feed_tick(const struct recording_chunk *c, const struct replay_sink *sink)
{
	struct recording_tick t;
	uint32_t *dead = NULL;

	memcpy(&t, c->payload, sizeof(t));
	if (t.dead_threads) {
		dead = malloc(t.dead_threads * sizeof(*dead));
		if (!dead)
			t.dead_threads = 0;
		else
			memcpy(dead, c->payload + sizeof(t), t.dead_threads * sizeof(*dead));
	}
	sink->tick(sink->ctx, &t, dead);
	free(dead);
}

static void feed_stuck(const struct recording_chunk *c, const struct replay_sink *sink)
{
	uint32_t sites[RECORDING_MAX_STUCK_SITES];
	struct recording_stuck st;

	if (!sink->stuck)
		return;
	memcpy(&st, c->payload, sizeof(st)); /* sizes checked by the reader */
	memcpy(sites, c->payload + sizeof(st), st.site_count * sizeof(sites[0]));
	sink->stuck(sink->ctx, &st, sites);
}

static void feed_stuck_end(const struct recording_chunk *c, const struct replay_sink *sink)
{
	struct recording_stuck_end e;

	if (!sink->stuck_end)
		return;
	memcpy(&e, c->payload, sizeof(e));
	sink->stuck_end(sink->ctx, &e);
}

struct recording_walked_task recording_walked_task_at(const uint8_t *tasks, size_t i)
{
	struct recording_walked_task t;

	memcpy(&t, tasks + i * sizeof(t), sizeof(t));
	return t;
}

struct recording_walk_list recording_walk_list_at(const struct recording_walk *walk,
						  const uint8_t *tasks, size_t i)
{
	struct recording_walk_list l;

	memcpy(&l, tasks + walk->count * sizeof(struct recording_walked_task) + i * sizeof(l),
	       sizeof(l));
	return l;
}

static void feed_walk(const struct recording_chunk *c, const struct replay_sink *sink)
{
	struct recording_walk w;

	if (!sink->walk)
		return;
	memcpy(&w, c->payload, sizeof(w));
	sink->walk(sink->ctx, &w, c->payload + sizeof(w));
}

void replay_advance(struct replay *r, uint64_t t, const struct replay_sink *sink)
{
	const struct recording *rec = &r->rec;

	if (t > replay_end(r))
		t = replay_end(r);
	while (r->next_chunk < rec->chunk_count && rec->chunks[r->next_chunk].until <= t) {
		const struct recording_chunk *c = &rec->chunks[r->next_chunk++];

		if (c->type == CHUNK_EVENTS)
			feed_events(c, rec->event_size, sink);
		else if (c->type == CHUNK_STUCK)
			feed_stuck(c, sink);
		else if (c->type == CHUNK_STUCK_END)
			feed_stuck_end(c, sink);
		else if (c->type == CHUNK_WALK)
			feed_walk(c, sink);
		else
			feed_tick(c, sink);
	}
	if (t > r->now)
		r->now = t;
}

void replay_rewind(struct replay *r)
{
	r->next_chunk = 0;
	r->now = replay_start(r);
}

bool replay_at_end(const struct replay *r)
{
	return r->next_chunk >= r->rec.chunk_count && r->now >= replay_end(r);
}
