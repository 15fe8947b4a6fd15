/* Chrome Trace Event Format (what Perfetto and chrome://tracing load): one
 * track per task, each poll a complete ("X") event, futures nested inside
 * the polls of their parents, args with kind, location, task, thread and
 * whether the poll was slow. */
#ifndef CATTOP_CHROME_TRACE_H
#define CATTOP_CHROME_TRACE_H

#include <stdbool.h>
#include <stdio.h>

#include "model/poll_tracker.h"
#include "util/u64_map.h"

struct session;

struct chrome_trace {
	FILE *out;
	const struct session *s;
	bool html_safe;		   /* escape for an HTML <script> element */
	struct u64_map task_names; /* task id -> name, for the track labels */
	uint64_t spans;
};

void chrome_trace_begin(struct chrome_trace *ct, FILE *out, const struct session *s,
			bool html_safe);
/* A poll_span_fn; ctx is the chrome_trace. */
void chrome_trace_span(void *ctx, const struct poll_span *span);
/* Track names and the closing brackets. */
void chrome_trace_end(struct chrome_trace *ct);

#endif
