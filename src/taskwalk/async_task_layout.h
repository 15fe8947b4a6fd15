/* What cattop needs to know of async-task and async-executor (smol 1.x,
 * async-std 1.x through async-global-executor) to list their live tasks,
 * read from the target's DWARF by member and type names (async-task 4.3,
 * async-executor 1.5; no offset is hard-coded).
 *
 * An executor's live tasks: every spawned task has a Waker in its
 * executor's `active` slab until it ends (async-executor's spawn inserts
 * it, the task's own guard removes it), and a Waker's data pointer is the
 * task's raw pointer, its async_task::header::Header, the key RawTask::run
 * gets as its first argument (the task_poll probe's key):
 *
 *   Executor { state: async_lock::OnceCell<Arc<State>> }
 *     OnceCell { state: AtomicUsize (2: Initialized), value: … Arc<State> }
 *   ArcInner<async_executor::State> … State { active: Mutex<Slab<Waker>> }
 *     Slab { entries: Vec<Entry<Waker>>, len }  Entry: Vacant | Occupied(Waker)
 *     Waker … RawWaker { data: the Header, vtable }
 *   Header { state: AtomicUsize, awaiter, vtable: &TaskVTable }
 *   TaskVTable { …, run, …, layout_info: &Option<TaskLayout> }
 *     TaskLayout { layout, offset_s, offset_f, offset_r }: where the
 *     schedule closure and the future lie from the Header.
 *
 * The executors found: statics (async_global_executor::executor::
 * GLOBAL_EXECUTOR for async-std's spawn, smol::spawn::spawn::GLOBAL for
 * smol::spawn), and any executor a known task belongs to: the task's
 * schedule closure (Executor::schedule's {closure_env#0}, at offset_s)
 * holds an Arc<State> (see async_executor_tasks.h). */
#ifndef CATTOP_ASYNC_TASK_LAYOUT_H
#define CATTOP_ASYNC_TASK_LAYOUT_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* async-task's state bits (src/state.rs): constants, so not in DWARF; the
 * same in every 4.x. */
#define ASYNC_TASK_SCHEDULED 0x01
#define ASYNC_TASK_RUNNING   0x02
#define ASYNC_TASK_COMPLETED 0x04
#define ASYNC_TASK_CLOSED    0x08
/* async_lock::OnceCell's State::Initialized. */
#define ONCE_CELL_INITIALIZED 2

#define ASYNC_EXECUTOR_MAX_STATICS 4

/* An executor in a static: where its Arc<State> cell lies (link-time). */
struct executor_static {
	const char *what;    /* e.g. "smol::spawn's GLOBAL" */
	uint64_t cell_state; /* the OnceCell<Arc<State>>'s state word */
	uint64_t cell_value; /* its Arc<State> pointer */
};

struct async_task_layout {
	int fd;
	Dwarf *dw;
	/* Header */
	uint64_t header_size, state_off, vtable_off;
	/* TaskVTable */
	uint64_t vtable_size, run_off, layout_info_off;
	/* Option<TaskLayout>: size, and offset_f/offset_s inside Some */
	Dwarf_Die layout_opt;
	uint64_t layout_opt_size, offset_f_off, offset_s_off;
	/* ArcInner<State>: the active slab's Slab */
	uint64_t slab_off, slab_len_off, entries_ptr_off, entries_len_off;
	/* the active Mutex's lock word (std's futex on Linux), if DWARF has it:
	 * a slab read while it is held may be mid-change */
	bool has_lock;
	uint64_t lock_off;
	/* Entry<Waker>: size, discriminant, the Waker's data pointer */
	uint64_t entry_size, discr_off, discr_size, waker_data_off;
	uint64_t vacant_value;	/* the discriminant of Vacant */
	bool occupied_explicit; /* Occupied has its own value (else: not Vacant) */
	uint64_t occupied_value;
	/* Executor::schedule's closure: its Arc<State>, from the closure */
	bool has_schedule_state;
	uint64_t schedule_state_off;
	struct executor_static statics[ASYNC_EXECUTOR_MAX_STATICS];
	size_t nstatics;
	char missing[160]; /* what is not reachable (no statics, no closure) */
};

/* Reads the layout from binary (symbols) and dwarf_path (its DWARF).
 * Returns 0, or -errno with what is missing in err. */
int async_task_layout_read(const char *binary, const char *dwarf_path, struct async_task_layout *l,
			   char *err, size_t errlen);
/* The future type F of the task whose vtable's run is at link-time address
 * run (RawTask<F, T, S>::run's template parameter F); false if unknown. */
bool async_task_future_type(const struct async_task_layout *l, uint64_t run, Dwarf_Die *out);
/* Below a task's future (F, at addr in the target), the application's
 * future the runtime wrapped: async-executor's spawn block (awaiting it),
 * async-std's SupportTaskLocals, a Pin<Box<…>> (read through). Sets *addr
 * and returns true when the innermost is not a wrapper; *reads counts the
 * steps that depended on the target's memory (an enum's state, a pointer). */
bool async_task_unwrap_future(const struct async_task_layout *l, pid_t pid, Dwarf_Die *type,
			      uint64_t *addr, unsigned *reads);
/* type's variant part and where its discriminant lies (1 to 8 bytes). */
bool async_task_discriminant(Dwarf_Die *type, Dwarf_Die *part, uint64_t *off, uint64_t *size);
void async_task_layout_free(struct async_task_layout *l);

#endif
