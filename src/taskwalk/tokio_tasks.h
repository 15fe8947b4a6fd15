/* tokio's live tasks, read from the target's memory while it runs: every
 * runtime a worker thread's CONTEXT points to, each runtime's owned-task
 * list walked from its head (tokio_layout.h has the path and the fields).
 *
 * Nothing is locked, stopped or written: the list can change under the
 * walk (tasks spawned, freed). A node that does not read as a task of the
 * list (unreadable, another owner id, an implausible vtable, a loop) ends
 * that list's walk, and the walk says it is incomplete: a task missing for
 * one refresh is not taken for an ended one. */
#ifndef CATTOP_TOKIO_TASKS_H
#define CATTOP_TOKIO_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskwalk/task_walk.h"
#include "taskwalk/thread_pointers.h"
#include "taskwalk/tokio_layout.h"

/* tokio's task state bits (runtime/task/state.rs): constants, so not in
 * DWARF; the same from tokio 1.0 to today. */
#define TOKIO_STATE_RUNNING   0x01
#define TOKIO_STATE_COMPLETE  0x02
#define TOKIO_STATE_NOTIFIED  0x04
#define TOKIO_STATE_CANCELLED 0x20

/* Appends the tasks of every runtime found through threads to w (emptied
 * first). Returns 0, or -ENOMEM. */
int tokio_tasks_walk(const struct tokio_layout *l, pid_t pid, const struct thread_pointer *threads,
		     size_t nthreads, struct task_walk *w);

#endif
