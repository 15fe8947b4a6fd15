#include "taskwalk/tokio_running_task.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "taskwalk/option_layout.h"
#include "taskwalk/type_walk.h"

int tokio_running_task_loc(const struct tokio_layout *l, struct running_task_loc *out, char *err,
			   size_t errlen)
{
	struct member_query field = {.name = "current_task_id"};
	struct member_query option = {.type_prefix = "Option<"};
	struct typed_value storage = {.type = l->context_type, .addr = 0}, cell, opt;
	struct option_layout ol;
	int64_t base;

	/* A static search: the Context lies in the thread-local Storage's
	 * Alive variant (a lazy one) or directly (an eager one), at the same
	 * offset whatever the state; a thread whose CONTEXT is not alive yet
	 * reads zeroed .tbss there, None. */
	if (!type_walk_find(0, &storage, &field, &cell)) {
		snprintf(err, errlen,
			 "tokio: no current_task_id in the thread-local CONTEXT's DWARF type "
			 "(a tokio before 1.21 keeps no running task id)");
		return -ENODATA;
	}
	if (!type_walk_find(0, &cell, &option, &opt) || !option_layout_read(&opt.type, &ol)) {
		snprintf(err, errlen,
			 "tokio: CONTEXT.current_task_id is not an Option of a 64-bit id in DWARF");
		return -ENODATA;
	}
	base = (int64_t)l->context.offset - (int64_t)l->context.block_below + (int64_t)opt.addr;
	out->discr_off = base + (int64_t)ol.discr_off;
	out->value_off = base + (int64_t)ol.value_off;
	out->discr_mask = ol.discr_size == 8 ? ~0ULL : (1ULL << (ol.discr_size * 8)) - 1;
	out->discr_value = ol.none_value;
	out->value_only_if = false;
	return 0;
}
