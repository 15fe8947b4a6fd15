#include "taskwalk/task_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskwalk/thread_pointers.h"
#include "taskwalk/tokio_layout.h"
#include "util/clock.h"

struct task_source {
	pid_t pid;
	struct tokio_layout layout;
	struct thread_pointers *threads;
	struct task_walk walk;
	uint64_t last_walk_ns;
};

int task_source_open(pid_t pid, const char *runtime, const char *binary, const char *dwarf_path,
		     struct task_source **out, char *err, size_t errlen)
{
	struct task_source *ts;
	int ret;

	if (strcmp(runtime, "tokio") != 0) {
		snprintf(err, errlen, "task lists of runtime %s cannot be read yet (tokio only)",
			 runtime);
		return -ENOTSUP;
	}
	if (!dwarf_path || !dwarf_path[0]) {
		snprintf(err, errlen, "no DWARF: tokio's task layout is unknown");
		return -ENODATA;
	}
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->pid = pid;
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

int task_source_walk(struct task_source *ts, const struct task_walk **out)
{
	struct thread_pointer *threads = NULL;
	uint64_t start = monotonic_now_ns();
	size_t n = 0;
	int ret;

	ret = thread_pointers_read(ts->threads, &threads, &n);
	if (ret)
		return ret;
	ret = tokio_tasks_walk(&ts->layout, ts->pid, threads, n, &ts->walk);
	free(threads);
	ts->last_walk_ns = monotonic_now_ns() - start;
	if (ret)
		return ret;
	*out = &ts->walk;
	return 0;
}

bool task_source_future_offset(const struct task_source *ts, const char *poll_name,
			       uint64_t *offset)
{
	return tokio_layout_future_offset(&ts->layout, poll_name, offset);
}

const char *task_source_poll_name(const struct task_source *ts, uint64_t addr)
{
	return tokio_layout_poll_name(&ts->layout, addr);
}

uint64_t task_source_last_walk_ns(const struct task_source *ts)
{
	return ts->last_walk_ns;
}

void task_source_close(struct task_source *ts)
{
	if (!ts)
		return;
	thread_pointers_close(ts->threads);
	tokio_layout_free(&ts->layout);
	task_walk_free(&ts->walk);
	free(ts);
}
