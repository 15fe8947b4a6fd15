/* Reads a recording back: validates it chunk by chunk and indexes it, so a
 * replay can seek to any moment. A corrupt file is an error with the byte
 * offset where it went wrong; a file cut short is read up to its last whole
 * chunk and says so (recording.truncated). */
#ifndef CATTOP_RECORDING_READER_H
#define CATTOP_RECORDING_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "probe/site_table.h"
#include "recording/recording_format.h"
#include "util/u64_map.h"

/* An events, walk or tick chunk, in file order. */
struct recording_chunk {
	uint32_t type;
	uint32_t bytes;
	const uint8_t *payload;
	uint64_t until; /* events: the next tick's time, which they precede */
};

struct recording {
	void *map;
	size_t size;
	struct recording_info_fixed info;
	char *exe, *comm, *app_crate;
	struct runtime_profile runtime; /* name only */
	struct site_table sites;
	struct u64_map thread_names; /* tid -> char * */
	struct recording_chunk *chunks;
	size_t chunk_count;
	uint64_t events;
	uint32_t event_size; /* bytes of one event in CHUNK_EVENTS: its format version's */
	int64_t code_bias;   /* with RECORDING_CODE_BIAS in info.flags */
	uint64_t end_ts;     /* last tick or end: it covers info.started_ns..end_ts */
	uint64_t events_lost;
	enum recording_end_reason end_reason;
	bool ended;	     /* has its end chunk */
	bool truncated;	     /* cut short: data after truncated_at was dropped */
	size_t truncated_at; /* byte offset */
};

/* Returns 0, or -errno with "PATH: what is wrong" in err. */
int recording_load(const char *path, struct recording *rec, char *err, size_t errlen);
/* The same from memory (data must outlive rec); for tests and fuzzing. */
int recording_parse(const void *data, size_t size, struct recording *rec, char *err, size_t errlen);
void recording_free(struct recording *rec);

const char *recording_thread_name(const struct recording *rec, uint32_t tid);

#endif
