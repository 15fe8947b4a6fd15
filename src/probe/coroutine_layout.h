/* What DWARF says about a future's state machine, so cattop can tell where a
 * suspended async fn or block is parked: the size of its coroutine (the
 * {async_fn_env#N} type), where its state discriminant (__state) lies, and
 * for each state the source line rustc gives it (0 Unresumed: the fn's
 * first line; 3 + N: the .await of Suspend N). Needs full debug info
 * (debug = 2); line tables alone carry no types. */
#ifndef CATTOP_COROUTINE_LAYOUT_H
#define CATTOP_COROUTINE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct site_table;
struct dwarf_index;

/* Rust coroutine states below the first suspend point. */
#define COROUTINE_UNRESUMED 0
#define COROUTINE_RETURNED  1
#define COROUTINE_PANICKED  2
#define COROUTINE_SUSPEND0  3

struct coroutine_layout {
	uint64_t size;	       /* of the coroutine */
	uint64_t state_offset; /* of __state within it */
	uint8_t state_size;    /* 1, 2 or 4 bytes */
	size_t nstates;
	char **state_location; /* [discriminant] -> "file:line", or NULL */
	/* [discriminant]: an .await a dependency's macro wrote (join!,
	 * select!): the futures it polls are awaited side by side */
	bool *macro_await;
	/* [discriminant]: the awaited future's type by its Rust path
	 * (awaitee_names.h), NULL if unknown */
	char **state_awaitee;
};

/* Fills site->layout and site->self_in_parm2 for the future sites the
 * DWARF describes. Sites it cannot read stay as they were. */
void coroutine_layouts_read(const char *elf_path, const struct dwarf_index *dwarf,
			    struct site_table *sites);
void coroutine_layout_free(struct coroutine_layout *l);

/* The location of a state, NULL if unknown. */
const char *coroutine_state_location(const struct coroutine_layout *l, uint64_t state);

/* The type of the future a suspend state awaits, NULL if unknown. */
const char *coroutine_state_awaitee(const struct coroutine_layout *l, uint64_t state);

/* Whether the state is an .await in a dependency's macro (macro_await.h). */
bool coroutine_state_in_macro(const struct coroutine_layout *l, uint64_t state);

#endif
