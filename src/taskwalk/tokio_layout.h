/* What cattop needs to know of tokio's data structures to list its live
 * tasks, read from the target's DWARF (member names and sizes: no offset is
 * hard-coded per tokio version).
 *
 * The path, from a worker thread's thread-local runtime context to each
 * task (names of fields as DWARF has them):
 *
 *   CONTEXT (ELF TLS symbol tokio::runtime::context::CONTEXT::…VAL, a
 *            std thread-local Storage: a lazy one's state must be Alive)
 *     … handle: RefCell<Option<scheduler::Handle>>   (enum: MultiThread or
 *              CurrentThread, each an Arc<…::Handle>; 1.24: CONTEXT.handle,
 *              1.53: CONTEXT.current.handle)
 *     -> ArcInner.data (scheduler Handle) … OwnedTasks { …, id }
 *        1.24: … LinkedList { head, tail }      head: Option<NonNull<Header>>
 *        1.53: ShardedList { lists: Box<[Mutex<LinkedList>]>, …, shard_mask }
 *              (data_ptr, length): one LinkedList per shard, each walked
 *   Header { state, queue_next, vtable, owner_id }
 *     vtable -> Vtable { poll, …, trailer_offset, id_offset }
 *     header + vtable.trailer_offset = Trailer { owned: Pointers<Header>, … }
 *       owned … { prev, next }: the next task's Header, or null
 *     header + vtable.id_offset = the task's Id (u64)
 *
 * Searches below a named field go through wrappers by type or member name
 * (type_walk.h), so std's own wrappers (RefCell, UnsafeCell, MaybeUninit,
 * Mutex) may change between Rust versions. */
#ifndef CATTOP_TOKIO_LAYOUT_H
#define CATTOP_TOKIO_LAYOUT_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

#include "taskwalk/tls_symbol.h"
#include "taskwalk/type_walk.h"

struct tokio_layout {
	int fd;
	Dwarf *dw;
	struct tls_symbol context; /* the CONTEXT thread-local */
	Dwarf_Die context_type;	   /* its Storage type */
	/* Header */
	uint64_t header_size, state_off, vtable_off, owner_id_off;
	bool has_owner_id;
	/* Vtable */
	uint64_t vtable_size, poll_off, trailer_offset_off, id_offset_off;
	bool has_id_offset;
	/* Trailer.owned's next and prev pointers, from the Trailer's start */
	uint64_t next_off, prev_off;
	/* Every Cell<T, S> type (one a task type), by name: indexed in one
	 * pass at attach, so later look-ups read no new part of the DWARF. */
	struct cell_type *cells;
	size_t ncells;
	/* Every tokio::runtime::task::raw::poll<T, S> (its DW_AT_name, which
	 * names the task's Cell<T, S>) by link-time entry address: what the
	 * session's own DWARF index says, when its sites came from the cache
	 * and it read no DWARF. */
	struct poll_fn *polls;
	size_t npolls;
};

struct poll_fn {
	uint64_t addr;
	char *name;
};

struct cell_type {
	char *name;
	Dwarf_Off die;
};

/* Reads the layout from binary (ELF symbols and TLS segment) and dwarf_path
 * (its DWARF, the binary itself or a separate debug file). Returns 0, or
 * -errno with what is missing in err (e.g. "no DWARF type Trailer
 * (tokio::runtime::task::core): built with debug = 1?"). */
int tokio_layout_read(const char *binary, const char *dwarf_path, struct tokio_layout *l, char *err,
		      size_t errlen);
/* Where a task's future lies from its header: the payload of
 * Cell<T, S>.core.stage's Running variant, in the DWARF type Cell<T, S>
 * named after the task's poll function (poll_name, its DW_AT_name
 * "poll<T, S>"). False when the DWARF has no such type. */
bool tokio_layout_future_offset(const struct tokio_layout *l, const char *poll_name,
				uint64_t *offset);
/* The DW_AT_name of the raw::poll<T, S> at link-time address addr, or NULL. */
const char *tokio_layout_poll_name(const struct tokio_layout *l, uint64_t addr);
void tokio_layout_free(struct tokio_layout *l);

/* Where the task lists of one OwnedTasks are: one LinkedList (tokio 1.24)
 * or one per shard of a ShardedList (1.53), stride bytes apart. */
struct tokio_lists {
	Dwarf_Die list_type; /* LinkedList<…> */
	uint64_t first;	     /* address of the first list (static: its offset) */
	uint64_t stride;     /* from one shard's list to the next (0: one list) */
	uint64_t count;	     /* lists (static search: 0 when sharded) */
};

/* owned is an OwnedTasks: static (pid 0 or owned->addr 0: only list_type
 * and the offsets), or live in pid (the shard array read). False, with
 * what is missing in err, when neither layout is found. */
bool tokio_owned_lists(pid_t pid, const struct typed_value *owned, struct tokio_lists *out,
		       char *err, size_t errlen);

#endif
