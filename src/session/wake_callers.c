#include "session/wake_callers.h"

#include "probe/code_lines.h"
#include "session/session.h"

static bool inlined_deferrer(void *ctx, uint64_t ret_vaddr)
{
	const struct session *s = ctx;

	return code_lines_inlined_from(s->lines, ret_vaddr, &s->sites.runtime->task_wake_deferred);
}

void wake_callers_init(struct session *s)
{
	if (!s->lines || !s->sites.runtime || !s->sites.runtime->task_wake_deferred.count)
		return;
	s->tracker.inlined_deferrer = inlined_deferrer;
	s->tracker.deferrer_ctx = s;
}
