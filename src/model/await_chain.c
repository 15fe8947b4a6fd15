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

/* Why a future without a state layout has no line: the reasons differ in
 * what would give one (a build with types, or nothing: no await points). */
static const char *no_layout_reason(const struct site_table *sites, const struct site *site)
{
	if (site->kind != FUTURE_ASYNC_FN && site->kind != FUTURE_ASYNC_BLOCK)
		return "not an async fn or block: no await points to read";
	return sites->dwarf_used ? "no DWARF types (debug=1): state layout not described"
				 : "no DWARF (debug=0)";
}

/* The frame of n: its line from its state, or why there is none. */
static struct await_frame state_frame(const struct future_node *n, const struct site_table *sites,
				      const struct await_source *src)
{
	const struct coroutine_layout *l = sites->sites[n->site].layout;
	struct await_frame f = {n, NULL, NULL, false, NULL};
	uint32_t state = 0;

	if (!l)
		f.unknown = no_layout_reason(sites, &sites->sites[n->site]);
	else if (!n->self_ptr)
		f.unknown = "address not seen: no poll of it was probed";
	else if (!src || !src->read_memory)
		f.unknown = "target not readable (not live)";
	else if (src->read_memory(src->ctx, n->self_ptr + l->state_offset, &state, l->state_size))
		f.unknown = "memory unreadable";
	/* Returned or Panicked: not parked anywhere (or the memory is stale). */
	else if (state == COROUTINE_RETURNED)
		f.unknown = "state not at an await (returned)";
	else if (state == COROUTINE_PANICKED)
		f.unknown = "state not at an await (panicked)";
	else if (!(f.awaiting = coroutine_state_location(l, state)))
		f.unknown = "variant not found: state not in the DWARF layout";
	else {
		f.in_macro = coroutine_state_in_macro(l, state);
		/* a join!/select! awaits the macro's own future (a PollFn of
		 * a closure): what it polls is in the tree, not in that type */
		f.awaitee = f.in_macro ? NULL : coroutine_state_awaitee(l, state);
	}
	return f;
}

static bool lies_within(const struct future_node *child, const struct future_node *parent,
			const struct site_table *sites)
{
	const struct coroutine_layout *l = sites->sites[parent->site].layout;

	return l && parent->self_ptr && child->self_ptr >= parent->self_ptr &&
	       child->self_ptr < parent->self_ptr + l->size;
}

/* The frame of the child its parent provably still awaits, node NULL if
 * it is not that. */
static struct await_frame awaited_child(const struct await_frame *parent,
					const struct future_node *child,
					const struct site_table *sites,
					const struct await_source *src)
{
	struct await_frame none = {NULL, NULL, NULL, false, NULL};
	const struct future_node *p = parent->node;
	const char *by_call;

	if (!child || !parent->awaiting || !src || !src->call_site ||
	    child != last_polled_child(p->children, p->stats.last_poll_start))
		return none;
	/* Parked elsewhere than where it last polled the child: the child
	 * finished and the parent went on to something unprobed. */
	by_call = src->call_site(src->ctx, child->call_site);
	if (!by_call || strcmp(parent->awaiting, by_call) != 0 || !lies_within(child, p, sites))
		return none;
	return state_frame(child, sites, src);
}

size_t await_chain_build(const struct task *t, const struct site_table *sites,
			 const struct await_source *src, struct await_frame *out, size_t max,
			 const char **why)
{
	const struct future_node *root;
	struct await_frame f;
	size_t n = 0;

	if (why)
		*why = NULL;
	if (task_state(t) != TASK_IDLE)
		return 0;
	root = last_polled_child(t->roots, 0);
	if (!root) {
		/* A walked task gets its root from its cell when its type's root
		 * future has a probe site (and so a layout); an optimised build may
		 * have inlined that future's poll into the runtime's. */
		if (why)
			*why = t->walked ? "its root future has no site to read it by (its poll "
					   "inlined: an optimised build?)"
					 : "no poll of its futures seen";
		return 0;
	}
	f = state_frame(root, sites, src);
	if (!f.awaiting) {
		if (why) /* nothing known of the root: no chain at all */
			*why = f.unknown;
		return 0;
	}
	/* A join! or select! awaits several futures at once: the stack ends
	 * there, the tree gives each its line (await_child_frame). */
	while (f.node && n < max) {
		out[n++] = f;
		if (!f.awaiting || f.in_macro)
			break;
		f = awaited_child(
		    &f, last_polled_child(f.node->children, f.node->stats.last_poll_start), sites,
		    src);
	}
	return n;
}

const struct await_frame *await_chain_frame(const struct await_frame *chain, size_t n,
					    const struct future_node *node)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (chain[i].node == node)
			return &chain[i];
	return NULL;
}

const char *await_chain_line(const struct await_frame *chain, size_t n,
			     const struct future_node *node)
{
	const struct await_frame *f = await_chain_frame(chain, n, node);

	return f ? f->awaiting : NULL;
}

struct await_frame await_child_frame(const struct await_frame *parent,
				     const struct future_node *child,
				     const struct site_table *sites, const struct await_source *src)
{
	struct await_frame none = {NULL, NULL, NULL, false, NULL}, f;

	if (!parent || !parent->node || !parent->awaiting)
		return none;
	if (!parent->in_macro)
		return awaited_child(parent, child, sites, src);
	/* A join! or select! holds its futures in the parent's coroutine and
	 * polls the pending ones in each poll; one that finished there is no
	 * longer a coroutine at an await (returned, or its slot reused): it
	 * gets no line, and no reason, as nothing waits for it. */
	if (child->stats.last_poll_start < parent->node->stats.last_poll_start ||
	    !lies_within(child, parent->node, sites))
		return none;
	f = state_frame(child, sites, src);
	return f.awaiting ? f : none;
}
