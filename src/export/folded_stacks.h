/* Collapsed stacks ("task;outer;inner 1234" per line), the input of
 * flamegraph.pl, inferno and speedscope: each poll's own time (its duration
 * less that of the polls nested in it), in nanoseconds, summed per stack. */
#ifndef CATTOP_FOLDED_STACKS_H
#define CATTOP_FOLDED_STACKS_H

#include <stdio.h>

#include "model/poll_tracker.h"
#include "util/u64_map.h"

struct session;

struct folded_stacks {
	const struct session *s;
	struct u64_map stacks;	   /* hash of the stack text -> struct folded_stack */
	struct u64_map child_time; /* tid -> time of finished children per depth */
	size_t count;
};

void folded_stacks_init(struct folded_stacks *fs, const struct session *s);
/* A poll_span_fn; ctx is the folded_stacks. */
void folded_stacks_span(void *ctx, const struct poll_span *span);
/* Writes the lines, sorted, and frees everything. Returns 0 or -ENOMEM. */
int folded_stacks_write(struct folded_stacks *fs, FILE *out);

#endif
