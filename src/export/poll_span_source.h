/* Replays a recording to the end and hands every poll, as a span with its
 * nesting, to an export format; polls still running at the end come last,
 * marked in flight. */
#ifndef CATTOP_POLL_SPAN_SOURCE_H
#define CATTOP_POLL_SPAN_SOURCE_H

#include "model/poll_tracker.h"

struct session;

/* What a span is, in the words the exports use. */
struct span_info {
	const char *name;
	const char *kind; /* "task", "async_fn", ... */
	const char *location;
	const char *task_name;
	uint64_t task_id;
	uint32_t thread;
	bool slow;
};

void span_describe(const struct session *s, const struct poll_span *span, struct span_info *out);

/* Feeds the whole recording behind s to fn. */
void poll_spans_replay(struct session *s, poll_span_fn fn, void *ctx);

#endif
