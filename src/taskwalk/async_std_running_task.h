/* Which task an async-std thread is polling now, for light mode's sampler:
 * async-std 1.x keeps it in a thread-local,
 *
 *   task_locals_wrapper::CURRENT: Cell<*const TaskLocalsWrapper>
 *
 * set around every poll of a spawned task (SupportTaskLocals::poll sets it
 * to &self.tag, the wrapper inside the task's future) and by block_on (to
 * a wrapper on its own stack, no spawned task). The thread-local's place
 * comes from its ELF TLS symbol, its layout from DWARF: rustc's lazy
 * Storage { value, state } keeps the value valid only in state Alive
 * (before, zeroed .tbss reads null anyway). Nothing is hard-coded. */
#ifndef CATTOP_ASYNC_STD_RUNNING_TASK_H
#define CATTOP_ASYNC_STD_RUNNING_TASK_H

#include <elfutils/libdw.h>
#include <stddef.h>

#include "taskwalk/running_task.h"

/* binary: its symbols; dw: its DWARF. Returns 0, or -errno with what is
 * missing in err. */
int async_std_running_task_loc(const char *binary, Dwarf *dw, struct running_task_loc *out,
			       char *err, size_t errlen);

#endif
