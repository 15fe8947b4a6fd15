/* Writes a recording: the sites, then every probe event as cattop receives
 * it, buffered and written from the drain loop, never from the probes. */
#ifndef CATTOP_RECORDER_H
#define CATTOP_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "recording/recording_format.h"

struct poll_event;
struct site_table;
struct recorder;

/* What a recording says about where it came from. */
struct recording_meta {
	pid_t pid;
	const char *exe;
	const char *comm;
	const char *runtime;
	const char *app_crate;
	uint64_t started_ns;
	uint64_t returns_ready_at;
	uint64_t threshold_ns;
	uint64_t attach_ns;
	size_t attached_sites;
	size_t rejected_sites;
	uint32_t flags;
	int64_t code_bias; /* with RECORDING_CODE_BIAS in flags */
	const struct site_table *sites;
};

/* Creates path in place (mode 0600, O_EXCL | O_NOFOLLOW), replacing only a
 * regular file of the same owner; "-", a FIFO or a device is written to as
 * it is, a terminal refused (output_target.h). max_bytes 0: no size limit.
 * Returns 0 or -errno with a reason in err. */
int recorder_open(struct recorder **out, const char *path, uint64_t max_bytes,
		  const struct recording_meta *meta, char *err, size_t errlen);

void recorder_event(struct recorder *r, const struct poll_event *ev);
/* A poll begun before attach found on thread tid's stack, inside sites
 * (outermost first), and its end: in line with the events so far. */
void recorder_stuck_task(struct recorder *r, uint64_t ts, uint64_t since, uint32_t tid,
			 const uint32_t *sites, size_t count);
void recorder_stuck_end(struct recorder *r, uint64_t ts, uint32_t tid);
/* A refresh point: buffered events, then the tick. model_tick says the
 * model was pruned and dead threads (dead[0..ndead)) were forgotten. */
void recorder_tick(struct recorder *r, uint64_t ts, uint64_t events_lost, bool model_tick,
		   const uint32_t *dead, size_t ndead);
/* A walk of the runtime's task lists and the tasks it found (events
 * buffered before it are written first: the model got them first). */
void recorder_walk(struct recorder *r, uint64_t ts, const struct recording_walked_task *tasks,
		   size_t n, const struct recording_walk_list *lists, size_t nlists);
/* A thread's name, written once per thread. */
void recorder_thread(struct recorder *r, uint32_t tid, const char *name);
bool recorder_has_thread(const struct recorder *r, uint32_t tid);

/* The size limit was reached: events are no longer written. */
bool recorder_full(const struct recorder *r);
/* A write failed (disk full...): errno value, 0 if none. */
int recorder_error(const struct recorder *r);
uint64_t recorder_bytes(const struct recorder *r);
uint64_t recorder_events(const struct recorder *r);
const char *recorder_path(const struct recorder *r);

/* Ends the recording and puts it in place. Frees r. Returns 0, or -errno
 * with a reason in err (the data written so far is kept either way). */
int recorder_close(struct recorder *r, uint64_t ts, uint64_t events_lost,
		   enum recording_end_reason reason, char *err, size_t errlen);

#endif
