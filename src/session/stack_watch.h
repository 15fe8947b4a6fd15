/* What stack samples add to the model: the stack of a poll running over the
 * threshold (kept as its node's slow_stack once it ends), and polls that
 * began before cattop attached, which no probe will ever report. A thread
 * that has hit no probe since attach, but has a runtime task poll or a
 * future on its stack, is inside such a poll: it shows as a task found on
 * the stack, running since (at least) the attach. */
#ifndef CATTOP_STACK_WATCH_H
#define CATTOP_STACK_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "probe/stack_sampler.h"
#include "util/u64_map.h"

struct session;
struct code_image;

struct stack_watch {
	struct stack_sampler sampler;
	struct code_image *image;
	bool running;
	struct u64_map stuck;	     /* tid -> its task found on the stack */
	struct u64_map site_at_addr; /* function address -> site id + 1 */
};

/* Starts sampling; returns 0 or -errno (cattop works on without it). */
int stack_watch_start(struct stack_watch *w, struct session *s);
/* With every drain of the probes: stacks of the polls over the threshold. */
void stack_watch_drain(struct stack_watch *w, struct session *s, uint64_t now);
/* Once per refresh: that, and threads inside polls begun before attach. */
void stack_watch_tick(struct stack_watch *w, struct session *s, uint64_t now);
void stack_watch_stop(struct stack_watch *w);

#endif
