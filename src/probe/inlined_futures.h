/* Futures of the application that an optimised build inlined into their
 * caller: their poll has no code of its own, so no probe can time it, and
 * their time counts toward the future they were inlined into. cattop says
 * so instead of leaving them out silently. Found from DWARF
 * DW_TAG_inlined_subroutine entries whose origin is an async fn or block
 * (line tables with function info, debug = 1, are enough). */
#ifndef CATTOP_INLINED_FUTURES_H
#define CATTOP_INLINED_FUTURES_H

#include <stddef.h>

#include "probe/classify.h"

struct site_table;

struct inlined_future {
	char *name;	/* e.g. "app::handler" */
	char *location; /* where it is written, or NULL */
	enum future_kind kind;
	int into_site; /* the probed future it was inlined into, or -1 */
	char *into;    /* that caller's name */
};

struct inlined_futures {
	struct inlined_future *list;
	size_t count;
};

/* Those of the application's crate (sites->app_crate) that have no site. */
void inlined_futures_read(const char *dwarf_path, const struct site_table *sites,
			  struct inlined_futures *out);
void inlined_futures_free(struct inlined_futures *f);

#endif
