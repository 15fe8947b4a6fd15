#include "taskwalk/task_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskwalk/async_executor_tasks.h"
#include "taskwalk/async_std_running_task.h"
#include "taskwalk/dwarf_find.h"
#include "taskwalk/task_spans.h"
#include "taskwalk/thread_pointers.h"
#include "taskwalk/tokio_layout.h"
#include "taskwalk/tokio_running_task.h"
#include "taskwalk/tokio_tasks.h"
#include "util/clock.h"
#include "util/u64_map.h"

/* Executors found through tasks (async-task): at most this many. */
#define MAX_STATES TASK_WALK_MAX_LISTS
/* Tasks whose executor was looked for in vain, remembered at most. */
#define MAX_SEEDS 4096

struct task_source {
	pid_t pid;
	enum task_walk_runtime kind;
	struct tokio_layout layout;
	struct thread_pointers *threads;
	/* async-task: the layout, the load bias, the executors found through
	 * their tasks, and the tasks already asked about. */
	struct async_task_layout at;
	int64_t bias;
	bool bias_known;
	uint64_t states[MAX_STATES];
	size_t nstates;
	struct u64_map seeds;
	struct async_task_vtables *vtables;
	/* async-std: its current-task thread-local (running_ret 0) or why
	 * not, and the walked tasks' spans its pointers are matched to. */
	int running_ret;
	struct running_task_loc running;
	char running_err[200];
	struct task_spans spans;
	bool spans_ready; /* built by a walk that knew the futures' types */
	struct task_walk walk;
	uint64_t last_walk_ns;
};

static bool is_async_task_runtime(const char *runtime)
{
	return strcmp(runtime, "async-std") == 0 || strcmp(runtime, "smol") == 0;
}

static int open_async_task(struct task_source *ts, const char *runtime, const char *binary,
			   const char *dwarf_path, char *err, size_t errlen)
{
	int ret;

	ts->kind = TASK_WALK_ASYNC_TASK;
	ts->vtables = calloc(1, sizeof(*ts->vtables));
	if (!ts->vtables)
		return -ENOMEM;
	ret = async_task_layout_read(binary, dwarf_path, &ts->at, err, errlen);
	if (ret)
		return ret;
	/* Light mode's sampler: async-std keeps the polled task in a
	 * thread-local; smol (async-executor alone) keeps none. */
	if (strcmp(runtime, "async-std") == 0) {
		ts->running_ret = async_std_running_task_loc(
		    binary, ts->at.dw, &ts->running, ts->running_err, sizeof(ts->running_err));
	} else {
		ts->running_ret = -ENOTSUP;
		snprintf(ts->running_err, sizeof(ts->running_err),
			 "the executor keeps no current-task thread-local");
	}
	return 0;
}

int task_source_open(pid_t pid, const char *runtime, const char *binary, const char *dwarf_path,
		     struct task_source **out, char *err, size_t errlen)
{
	struct task_source *ts;
	int ret;

	if (strcmp(runtime, "tokio") != 0 && !is_async_task_runtime(runtime)) {
		snprintf(err, errlen,
			 "task lists of runtime %s cannot be read yet (tokio, async-std, smol "
			 "only)",
			 runtime);
		return -ENOTSUP;
	}
	if (!dwarf_path || !dwarf_path[0]) {
		snprintf(err, errlen, "no DWARF: the runtime's task layout is unknown");
		return -ENODATA;
	}
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->pid = pid;
	if (is_async_task_runtime(runtime)) {
		/* Executors are found from statics and tasks, not thread-locals. */
		ret = open_async_task(ts, runtime, binary, dwarf_path, err, errlen);
		if (ret) {
			free(ts->vtables);
			free(ts);
			return ret;
		}
		*out = ts;
		return 0;
	}
	ret = tokio_layout_read(binary, dwarf_path, &ts->layout, err, errlen);
	if (ret) {
		free(ts);
		return ret;
	}
	ret = thread_pointers_open(pid, &ts->threads, err, errlen);
	if (ret) {
		tokio_layout_free(&ts->layout);
		free(ts);
		return ret;
	}
	*out = ts;
	return 0;
}

static int walk_async_task(struct task_source *ts)
{
	int ret;

	/* A static's address needs the load bias (PIE): until the session
	 * knows it, only executors found through tasks are walked. */
	ret = async_executor_tasks_walk(&ts->at, ts->pid, ts->bias_known ? &ts->bias : NULL,
					ts->states, ts->nstates, ts->vtables, &ts->walk);
	if (!ret && !ts->bias_known && ts->walk.complete && ts->at.nstatics) {
		ts->walk.complete = false;
		snprintf(ts->walk.problem, sizeof(ts->walk.problem),
			 "the executable's load address is not known yet");
	}
	if (!ret && ts->walk.complete && ts->at.missing[0] && !ts->walk.runtimes)
		snprintf(ts->walk.problem, sizeof(ts->walk.problem), "%s", ts->at.missing);
	if (!ret && !ts->running_ret && ts->bias_known) {
		ret = task_spans_build(&ts->spans, &ts->walk);
		ts->spans_ready = !ret;
	}
	return ret;
}

int task_source_walk(struct task_source *ts, const struct task_walk **out)
{
	struct thread_pointer *threads = NULL;
	uint64_t start = monotonic_now_ns();
	size_t n = 0;
	int ret;

	if (ts->kind == TASK_WALK_ASYNC_TASK) {
		ret = walk_async_task(ts);
	} else {
		ret = thread_pointers_read(ts->threads, &threads, &n);
		if (ret)
			return ret;
		ret = tokio_tasks_walk(&ts->layout, ts->pid, threads, n, &ts->walk);
		free(threads);
	}
	ts->last_walk_ns = monotonic_now_ns() - start;
	if (ret)
		return ret;
	*out = &ts->walk;
	return 0;
}

void task_source_set_load_bias(struct task_source *ts, int64_t bias)
{
	ts->bias = bias;
	ts->bias_known = true;
}

bool task_source_seed(struct task_source *ts, uint64_t key)
{
	uint64_t state;
	size_t i;

	if (ts->kind != TASK_WALK_ASYNC_TASK || ts->nstates == MAX_STATES ||
	    u64_map_get(&ts->seeds, key) || !async_executor_state_of(&ts->at, ts->pid, key, &state))
		return false;
	for (i = 0; i < ts->nstates; i++)
		if (ts->states[i] == state)
			return false;
	/* A task whose executor was not found is not asked about again (the
	 * set is bounded: a long run of such tasks starts it over). */
	if (ts->seeds.count >= MAX_SEEDS)
		u64_map_free(&ts->seeds);
	if (u64_map_put(&ts->seeds, key, (void *)1) ||
	    !async_executor_holds(&ts->at, ts->pid, state, key))
		return false;
	ts->states[ts->nstates++] = state;
	return true;
}

bool task_source_future_offset(const struct task_source *ts, const char *poll_name,
			       uint64_t *offset)
{
	if (ts->kind == TASK_WALK_ASYNC_TASK)
		return false; /* per task, from its vtable: walked_task.future */
	return tokio_layout_future_offset(&ts->layout, poll_name, offset);
}

const char *task_source_poll_name(const struct task_source *ts, uint64_t addr)
{
	if (ts->kind == TASK_WALK_ASYNC_TASK)
		return NULL; /* async-task: where the future lies is read per task */
	return tokio_layout_poll_name(&ts->layout, addr);
}

int task_source_running_task(const struct task_source *ts, struct running_task_loc *out, char *err,
			     size_t errlen)
{
	if (ts->kind == TASK_WALK_ASYNC_TASK) {
		if (ts->running_ret)
			snprintf(err, errlen, "%s", ts->running_err);
		else
			*out = ts->running;
		return ts->running_ret;
	}
	return tokio_running_task_loc(&ts->layout, out, err, errlen);
}

const struct task_walk *task_source_last_walk(const struct task_source *ts)
{
	return &ts->walk;
}

bool task_source_sample_keys_ready(const struct task_source *ts)
{
	return ts->kind != TASK_WALK_ASYNC_TASK || ts->spans_ready;
}

uint64_t task_source_sample_key(const struct task_source *ts, uint64_t value)
{
	uint64_t key;

	/* tokio: the id is the key. async-std: the pointer lies in the polled
	 * task's future; one in no walked task (block_on's wrapper, a task
	 * spawned since the walk) stays itself, as an unknown tokio id does:
	 * no task's key (a header is never inside a future). */
	if (ts->kind == TASK_WALK_ASYNC_TASK && value && task_spans_find(&ts->spans, value, &key))
		return key;
	return value;
}

uint64_t task_source_last_walk_ns(const struct task_source *ts)
{
	return ts->last_walk_ns;
}

void task_source_close(struct task_source *ts)
{
	if (!ts)
		return;
	if (ts->kind == TASK_WALK_ASYNC_TASK) {
		async_task_layout_free(&ts->at);
		u64_map_free(&ts->seeds);
		task_spans_free(&ts->spans);
		free(ts->vtables);
	} else {
		thread_pointers_close(ts->threads);
		tokio_layout_free(&ts->layout);
	}
	task_walk_free(&ts->walk);
	free(ts);
}
