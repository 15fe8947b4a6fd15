/* The on-disk layout of a cattop recording (cattop record -o FILE).
 *
 * A file header, then a sequence of chunks, each a type and a payload length
 * followed by the payload. The sites (what each probe means) come first, so
 * a recording is understood without the binary it was taken from; then the
 * probes' raw events in the order cattop received them, with tick chunks
 * marking the refreshes of the live model. A file cut short (disk full,
 * cattop killed) is still readable up to its last whole chunk.
 *
 * All integers are little-endian, as written by x86-64; strings inside a
 * payload are a u16 length and that many bytes, no NUL. */
#ifndef CATTOP_RECORDING_FORMAT_H
#define CATTOP_RECORDING_FORMAT_H

#include <stdint.h>

#define RECORDING_MAGIC	  "CATTOPRC"
#define RECORDING_VERSION 4
/* Version 2 events lack run_delay (POLL_EVENT_V2_SIZE): still read, their
 * polls timed by the wall clock alone. Version 3 events lack asleep
 * (POLL_EVENT_V3_SIZE): their polls' blocked time is unknown. */
#define RECORDING_OLDEST_VERSION 2

/* A chunk larger than this is corruption, not data. */
#define RECORDING_MAX_CHUNK (64U << 20)

struct recording_file_header {
	char magic[8];
	uint32_t version;
	uint32_t reserved;
};

enum recording_chunk_type {
	CHUNK_INFO = 1,	  /* struct recording_info_fixed, then exe, comm, runtime, app crate
			   * (and the code bias, RECORDING_CODE_BIAS) */
	CHUNK_SITE = 2,	  /* struct recording_site_fixed, then crate, path, name, location
			   * (and, from version 3, the u64 size of its function) */
	CHUNK_EVENTS = 3, /* struct poll_event[], as the probes wrote them */
	CHUNK_TICK = 4,	  /* struct recording_tick, then u32 tids of threads gone */
	CHUNK_THREAD = 5, /* u32 tid, then its name */
	CHUNK_END = 6,	  /* struct recording_end: a recording that finished properly */
	/* Version 3: a poll begun before attach found on a thread's stack
	 * (model/stuck_task.h), and its end. */
	CHUNK_STUCK = 7,     /* struct recording_stuck, then u32 site ids */
	CHUNK_STUCK_END = 8, /* struct recording_stuck_end */
	/* A task-list walk: struct recording_walk, then struct
	 * recording_walked_task[], then struct recording_walk_list[]. */
	CHUNK_WALK = 9,
};

struct recording_chunk_header {
	uint32_t type;
	uint32_t bytes; /* payload length */
};

struct recording_info_fixed {
	uint64_t started_ns;	   /* CLOCK_MONOTONIC at attach: the events' clock */
	uint64_t returns_ready_at; /* when the return probes were all in */
	uint64_t realtime_ns;	   /* CLOCK_REALTIME at started_ns, for humans */
	uint64_t threshold_ns;
	uint64_t attach_ns;
	uint32_t pid;
	uint32_t site_count;
	uint32_t attached_sites;
	uint32_t rejected_sites;
	uint32_t flags; /* RECORDING_DWARF, RECORDING_TASKS_ONLY */
	uint32_t reserved;
};

#define RECORDING_DWARF	      (1U << 0)
#define RECORDING_TASKS_ONLY  (1U << 1)
#define RECORDING_LAUNCH_EXEC (1U << 2) /* the launched command's own exec is still to come */
/* Version 3: an int64 code bias (run-time minus link-time address) follows
 * the header's strings (see poll_tracker.h: callers of futures). */
#define RECORDING_CODE_BIAS (1U << 3)

struct recording_site_fixed {
	uint32_t id;
	uint8_t role; /* enum site_role */
	uint8_t kind; /* enum future_kind */
	uint8_t app;
	uint8_t flags; /* SITE_SINGLE_STEP */
	uint64_t addr;
};

#define SITE_SINGLE_STEP (1U << 0)

/* A drain of the probes' buffer; with TICK_MODEL also a refresh of the
 * live model: prune done tasks, forget the dead threads listed after it. */
struct recording_tick {
	uint64_t ts;
	uint64_t events_lost; /* so far, as the BPF side counted them */
	uint32_t dead_threads;
	uint32_t flags; /* TICK_MODEL: the model was refreshed here */
};

#define TICK_MODEL (1U << 0)

/* A walk of the runtime's task lists (taskwalk/): the tasks it gave the
 * model, so a replay lists the same tasks, with the same ids, as live. The
 * first one, when the recording starts, holds the tasks walked before. */
struct recording_walk {
	uint64_t ts;
	uint32_t count;	 /* tasks */
	uint32_t nlists; /* task lists found */
};

/* A list the walk found, and whether it was read to its end. */
struct recording_walk_list {
	uint64_t list;
	uint32_t complete;
	uint32_t reserved;
};

#define RECORDED_NO_WAKER 0x01 /* the walk found no waker (task_model_walk_waker) */

struct recording_walked_task {
	uint64_t key;	     /* the task's header address */
	uint64_t runtime_id; /* the runtime's own task id, 0 if unknown */
	uint32_t poll_site;  /* its type's task poll site, UINT32_MAX if unknown */
	uint32_t root_site;  /* its root future's site, UINT32_MAX if none */
	uint8_t state;	     /* enum walk_state */
	uint8_t flags;	     /* RECORDED_NO_WAKER (0 in older recordings) */
	uint8_t reserved[6];
	uint64_t list; /* the task list it is on */
};

enum recording_end_reason {
	END_STOPPED = 0,       /* duration reached, or cattop was asked to stop */
	END_SIZE_LIMIT = 1,    /* --max-size reached */
	END_TARGET_EXITED = 2, /* the process exited */
};

/* The futures on the stack, outermost first: at most this many. */
#define RECORDING_MAX_STUCK_SITES 48

struct recording_stuck {
	uint64_t ts;	/* when it was found */
	uint64_t since; /* in flight since (the attach) */
	uint32_t tid;
	uint32_t site_count;
};

struct recording_stuck_end {
	uint64_t ts;
	uint32_t tid;
	uint32_t reserved;
};

struct recording_end {
	uint64_t ts;
	uint64_t events_lost;
	uint32_t reason;
	uint32_t reserved;
};

#endif
