/* The future type a task poll entry runs, named from its DWARF name.
 *
 * A runtime's per-task poll entry is generic over the task's future and is
 * monomorphised once per spawned future type: tokio's
 * `poll<app::conn_loop::{async_fn_env#0}, Arc<Handle>>`, async-task's
 * `run<async_executor::…::spawn::{async_block_env#0}<(), app::conn_loop::
 * {async_fn_env#0}>, …>`. So the poll entry a task goes through says what
 * the task is, even when no future probe is attached (--tasks-only). */
#ifndef CATTOP_TASK_TYPE_H
#define CATTOP_TASK_TYPE_H

#include <stddef.h>

/* What a task poll entry runs, from its DW_AT_name. */
struct task_type {
	/* The outermost type of the entry's first generic argument, once the
	 * runtime's forwarding wrappers (async-executor's spawn block,
	 * async-std's SupportTaskLocals) are off: an async fn or block by its
	 * future name ("app::conn_loop", "app::main::{async_block#0}"), any
	 * other future by its path without generics ("hyper::server::server::
	 * new_svc::NewSvcTask"). Never a type that only appears deeper in its
	 * generics, such as a service fn pointer's return type. */
	char *name;
	/* For a type that is not itself an async fn or block: the async fns and
	 * blocks its generic arguments name, in order, each once. */
	char **inner;
	size_t inner_count;
};

/* Returns 1 with *out filled, 0 when the name has no generic argument (out
 * empty), -1 on ENOMEM. */
int task_type_parse(const char *dwarf_name, struct task_type *out);
void task_type_free(struct task_type *t);

/* task_type_parse's name alone, malloc'd; NULL when there is none. */
char *task_type_name(const char *dwarf_name);

#endif
