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

/* The task type in the DW_AT_name of a task poll entry: the innermost async
 * fn or block in its first generic argument ("app::conn_loop",
 * "blocking::unblock::{async_block#0}"), else that argument with its own
 * generics dropped. NULL when the name has no generic argument, or on
 * ENOMEM. Returns malloc'd text. */
char *task_type_name(const char *dwarf_name);

#endif
