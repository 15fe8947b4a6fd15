#include "model/await_chain.h"

#include <string.h>

#include "probe/coroutine_layout.h"
#include "probe/site_table.h"

/* The child polled last during node's last poll, if any. */
static const struct future_node *last_polled_child(const struct future_node *first, uint64_t since)
{
	const struct future_node *c, *best = NULL;

	for (c = first; c; c = c->next_sibling)
		if (c->stats.last_poll_start >= since &&
		    (!best || c->stats.last_poll_start > best->stats.last_poll_start))
			best = c;
	return best;
}

static const char *state_line(const struct future_node *n, const struct site_table *sites,
			      const struct await_source *src)
{
	const struct coroutine_layout *l = sites->sites[n->site].layout;
	uint32_t state = 0;

	if (!l || !n->self_ptr || !src->read_memory ||
	    src->read_memory(src->ctx, n->self_ptr + l->state_offset, &state, l->state_size))
		return NULL;
	/* Returned or Panicked: not parked anywhere (or the memory is stale). */
	if (state == COROUTINE_RETURNED || state == COROUTINE_PANICKED)
		return NULL;
	return coroutine_state_location(l, state);
}

static bool lies_within(const struct future_node *child, const struct future_node *parent,
			const struct site_table *sites)
{
	const struct coroutine_layout *l = sites->sites[parent->site].layout;

	return l && parent->self_ptr && child->self_ptr >= parent->self_ptr &&
	       child->self_ptr < parent->self_ptr + l->size;
}

size_t await_chain_build(const struct task *t, const struct site_table *sites,
			 const struct await_source *src, struct await_frame *out, size_t max)
{
	const struct future_node *node;
	size_t n = 0;

	if (task_state(t) != TASK_IDLE)
		return 0;
	node = last_polled_child(t->roots, 0);
	while (node && n < max) {
		const struct future_node *child =
		    last_polled_child(node->children, node->stats.last_poll_start);
		const char *by_state = state_line(node, sites, src), *by_call;

		if (!by_state && n == 0)
			return 0; /* nothing known of the root: no chain at all */
		out[n++] = (struct await_frame){node, by_state};
		if (!child || !by_state || !src->call_site)
			break;
		/* Parked elsewhere than where it last polled the child: the
		 * child finished and the parent went on to something unprobed. */
		by_call = src->call_site(src->ctx, child->call_site);
		if (!by_call || strcmp(by_state, by_call) != 0 || !lies_within(child, node, sites))
			break;
		node = child;
	}
	return n;
}

const char *await_chain_line(const struct await_frame *chain, size_t n,
			     const struct future_node *node)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (chain[i].node == node)
			return chain[i].awaiting;
	return NULL;
}
