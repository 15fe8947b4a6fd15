/* Plays a recording back through the same model code the live view uses:
 * a clock that moves through the recorded ticks, forward by feeding what
 * lies between, backward by starting over (a few seconds of events replay
 * in milliseconds). */
#ifndef CATTOP_REPLAY_H
#define CATTOP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "recording/recording_reader.h"

struct poll_event;

/* Where replayed data goes. */
struct replay_sink {
	void (*event)(void *ctx, const struct poll_event *ev);
	void (*tick)(void *ctx, const struct recording_tick *tick, const uint32_t *dead);
	void *ctx;
	/* Optional: a poll begun before attach found on a stack, and its end. */
	void (*stuck)(void *ctx, const struct recording_stuck *st, const uint32_t *sites);
	void (*stuck_end)(void *ctx, const struct recording_stuck_end *end);
	/* A task-list walk (NULL: ignored); tasks (then the lists) is
	 * unaligned file data, read with recording_walked_task_at and
	 * recording_walk_list_at. */
	void (*walk)(void *ctx, const struct recording_walk *walk, const uint8_t *tasks);
};

struct replay {
	struct recording rec;
	size_t next_chunk; /* first chunk not yet fed */
	uint64_t now;	   /* the replay clock, on the recording's CLOCK_MONOTONIC */
};

int replay_open(struct replay **out, const char *path, char *err, size_t errlen);
void replay_free(struct replay *r);

/* Feeds everything recorded up to time t (clamped to the recording). */
void replay_advance(struct replay *r, uint64_t t, const struct replay_sink *sink);
/* Back to the start; the caller resets what the sink fed. */
void replay_rewind(struct replay *r);
bool replay_at_end(const struct replay *r);

/* The i-th task of a walk chunk's payload. */
struct recording_walked_task recording_walked_task_at(const uint8_t *tasks, size_t i);
/* The i-th list of a walk chunk whose tasks begin at tasks. */
struct recording_walk_list recording_walk_list_at(const struct recording_walk *walk,
						  const uint8_t *tasks, size_t i);

static inline uint64_t replay_start(const struct replay *r)
{
	return r->rec.info.started_ns;
}

static inline uint64_t replay_end(const struct replay *r)
{
	return r->rec.end_ts;
}

#endif
