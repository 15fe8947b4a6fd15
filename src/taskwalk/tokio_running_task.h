/* tokio's running task per thread: CONTEXT.current_task_id, a
 * Cell<Option<Id>> tokio sets around every poll of a task (and its drop),
 * and restores after (1.24 and 1.53 alike; Id is a u64 in 1.24, a
 * NonZeroU64 in 1.53, so Option<Id> is tagged in one and a niche in the
 * other: option_layout.h reads which). Its offsets come from the DWARF of
 * the thread-local's type, as the task walk's own fields do. */
#ifndef CATTOP_TOKIO_RUNNING_TASK_H
#define CATTOP_TOKIO_RUNNING_TASK_H

#include <stddef.h>

#include "taskwalk/running_task.h"
#include "taskwalk/tokio_layout.h"

/* Returns 0, or -ENODATA with what is missing in err. */
int tokio_running_task_loc(const struct tokio_layout *l, struct running_task_loc *out, char *err,
			   size_t errlen);

#endif
