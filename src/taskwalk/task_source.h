/* The task-list walk as a data source: every live task of the target's
 * runtime, moving or not, read from its memory at attach and at every
 * refresh (tokio; async-std and smol through async-executor). The session feeds what it returns
 * into the model; nothing here knows the model. */
#ifndef CATTOP_TASK_SOURCE_H
#define CATTOP_TASK_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskwalk/running_task.h"
#include "taskwalk/task_walk.h"

struct task_source;

/* Returns 0, or -errno with what is missing in err: the runtime is not
 * one whose lists cattop can read, the DWARF lacks a type or field (named),
 * the kernel cannot list the threads' TLS blocks. */
int task_source_open(pid_t pid, const char *runtime, const char *binary, const char *dwarf_path,
		     struct task_source **out, char *err, size_t errlen);
/* Walks now. The result stays valid until the next walk. Returns 0 or -errno. */
int task_source_walk(struct task_source *ts, const struct task_walk **out);
/* Run-time minus link-time address of the executable: statics (the
 * global executors) are read at run-time addresses. */
void task_source_set_load_bias(struct task_source *ts, int64_t bias);
/* A task seen polling (its key): its executor is walked from now on if
 * the walk cannot find it otherwise (async-executor's own Executors are in
 * no static). Each key is looked at once; true if it led to a new one. */
bool task_source_seed(struct task_source *ts, uint64_t key);
/* The offset of a task's future from its header, for the task type whose
 * poll function's DWARF name is poll_name; false if unknown. */
/* The runtime's name for its task poll function at link-time address addr
 * (tokio: raw::poll<T, S>'s DW_AT_name), as task_source_future_offset
 * takes it; NULL if unknown. */
const char *task_source_poll_name(const struct task_source *ts, uint64_t addr);
bool task_source_future_offset(const struct task_source *ts, const char *poll_name,
			       uint64_t *offset);
/* Where each thread keeps which task it is polling now (tokio's
 * CONTEXT.current_task_id, async-std's CURRENT), for light mode's sampler.
 * Returns 0, or -ENOTSUP / -ENODATA with why not in err. */
int task_source_running_task(const struct task_source *ts, struct running_task_loc *out, char *err,
			     size_t errlen);
/* The last walk's result (empty before the first), valid until the next. */
const struct task_walk *task_source_last_walk(const struct task_source *ts);
/* A sampled value (not 0) as a task's sample key: tokio's id as is, the
 * runtime id its walked tasks have; async-std's pointer as the header
 * (task key) of the walked task it points into, else as is (a task the
 * last walk did not see: no task's key). */
uint64_t task_source_sample_key(const struct task_source *ts, uint64_t value);
/* Whether sampled values can be made keys yet: async-std's need a walk
 * that read the futures' types (the load bias known). */
bool task_source_sample_keys_ready(const struct task_source *ts);
/* Wall time of the last walk. */
uint64_t task_source_last_walk_ns(const struct task_source *ts);
void task_source_close(struct task_source *ts);

#endif
