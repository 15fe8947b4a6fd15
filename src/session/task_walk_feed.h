/* The task-list walk (taskwalk/task_source.h) fed into the session's model:
 * at attach and at every refresh, every live task of the runtime becomes a
 * task row, the same row a poll of the same header address finds. */
#ifndef CATTOP_TASK_WALK_FEED_H
#define CATTOP_TASK_WALK_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct session;
struct task_source;

/* What the last walk found, for the views. */
struct walk_summary {
	bool active;	  /* a walk is set up */
	char status[256]; /* why not, or why the last walk was incomplete */
	size_t tasks;	  /* live tasks the last walk found */
	size_t runtimes;  /* task lists */
	bool complete;	  /* every list read to its end */
	uint64_t walk_ns; /* how long it took */
	uint64_t walks;	  /* walks so far */
};

/* Sets the walk up and walks once; a target whose lists cannot be read
 * keeps the reason in the summary (cattop works on without). */
void task_walk_feed_start(struct session *s);
void task_walk_feed_tick(struct session *s, uint64_t now);
void task_walk_feed_stop(struct session *s);
/* The walk's source once open, else NULL (not waited for); failed: it
 * will never be (the reason is in the walk summary). */
const struct task_source *task_walk_feed_source(struct session *s);
bool task_walk_feed_failed(const struct session *s);
/* A task found running elsewhere than in a poll probe (on a stack): its
 * executor is walked from now on (a walk made at once) if the walk did not
 * know it. True if it led to a new one. */
bool task_walk_feed_seed(struct session *s, uint64_t key);

struct recording_walk;
/* A recording begins: the tasks walked so far go first, in the model's
 * order, so the replay numbers them as the live model did. */
void task_walk_feed_record_start(struct session *s, uint64_t now);
/* A replayed walk: into the model as a live one went. */
void task_walk_feed_replay(struct session *s, const struct recording_walk *walk,
			   const uint8_t *tasks);

#endif
