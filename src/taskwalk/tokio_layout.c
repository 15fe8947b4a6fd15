#include "taskwalk/tokio_layout.h"

#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/target_memory.h"
#include "taskwalk/dwarf_find.h"
#include "taskwalk/type_walk.h"

/* The mangled name of tokio's runtime-context thread-local (1.x). */
#define CONTEXT_SYMBOL "5tokio7runtime7context7CONTEXT"

struct cell_index {
	struct tokio_layout *l;
	size_t cap;
	bool failed;
};

/* Never matches: notes every Cell<…> type on the way. */
static bool note_cell(Dwarf_Die *die, const char *parent, const void *arg)
{
	struct cell_index *ix = (struct cell_index *)arg;
	struct tokio_layout *l = ix->l;
	const char *n = dwarf_diename(die);

	(void)parent;

	if (dwarf_tag(die) != DW_TAG_structure_type || !n || strncmp(n, "Cell<", 5) != 0 ||
	    !dwarf_hasattr(die, DW_AT_byte_size) || ix->failed)
		return false;
	if (l->ncells == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 64;
		struct cell_type *grown = realloc(l->cells, cap * sizeof(*grown));

		if (!grown) {
			ix->failed = true;
			return false;
		}
		l->cells = grown;
		ix->cap = cap;
	}
	l->cells[l->ncells].name = strdup(n);
	l->cells[l->ncells].die = dwarf_dieoffset(die);
	if (!l->cells[l->ncells].name)
		ix->failed = true;
	else
		l->ncells++;
	return false;
}

static int compare_cells(const void *a, const void *b)
{
	return strcmp(((const struct cell_type *)a)->name, ((const struct cell_type *)b)->name);
}

static void index_cells(struct tokio_layout *l)
{
	static const char *const core_ns[] = {"tokio", "runtime", "task", "core", NULL};
	struct cell_index ix = {.l = l};
	Dwarf_Die unused;

	dwarf_find(l->dw, core_ns, note_cell, &ix, &unused);
	qsort(l->cells, l->ncells, sizeof(*l->cells), compare_cells);
}

struct poll_index {
	struct tokio_layout *l;
	size_t cap;
	bool failed;
};

/* Never matches: notes every raw::poll<T, S> with code on the way. */
static bool note_poll(Dwarf_Die *die, const char *parent, const void *arg)
{
	struct poll_index *ix = (struct poll_index *)arg;
	struct tokio_layout *l = ix->l;
	const char *n = dwarf_diename(die);
	Dwarf_Addr pc;

	(void)parent;

	if (dwarf_tag(die) != DW_TAG_subprogram || !n || strncmp(n, "poll<", 5) != 0 ||
	    dwarf_lowpc(die, &pc) != 0 || pc == 0 || ix->failed)
		return false;
	if (l->npolls == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 64;
		struct poll_fn *grown = realloc(l->polls, cap * sizeof(*grown));

		if (!grown) {
			ix->failed = true;
			return false;
		}
		l->polls = grown;
		ix->cap = cap;
	}
	l->polls[l->npolls].addr = pc;
	l->polls[l->npolls].name = strdup(n);
	if (!l->polls[l->npolls].name)
		ix->failed = true;
	else
		l->npolls++;
	return false;
}

static int compare_polls(const void *a, const void *b)
{
	uint64_t x = ((const struct poll_fn *)a)->addr, y = ((const struct poll_fn *)b)->addr;

	return x < y ? -1 : x > y;
}

static void index_polls(struct tokio_layout *l)
{
	static const char *const raw_ns[] = {"tokio", "runtime", "task", "raw", NULL};
	struct poll_index ix = {.l = l};
	Dwarf_Die unused;

	dwarf_find(l->dw, raw_ns, note_poll, &ix, &unused);
	qsort(l->polls, l->npolls, sizeof(*l->polls), compare_polls);
}

const char *tokio_layout_poll_name(const struct tokio_layout *l, uint64_t addr)
{
	struct poll_fn key = {.addr = addr}, *hit;

	hit = bsearch(&key, l->polls, l->npolls, sizeof(*l->polls), compare_polls);
	return hit ? hit->name : NULL;
}

/* A static search step with a message naming what is missing. */
static bool step(Dwarf_Die *in, const struct member_query *q, Dwarf_Die *out, const char *what,
		 char *err, size_t errlen)
{
	struct typed_value v = {.type = *in, .addr = 0}, found;
	const char *in_name = dwarf_diename(in);

	if (!type_walk_find(0, &v, q, &found)) {
		snprintf(err, errlen, "tokio layout: no %s in DWARF type %s", what,
			 in_name ? in_name : "(anonymous)");
		return false;
	}
	*out = found.type;
	return true;
}

static bool pointee(Dwarf_Die *in, Dwarf_Die *out, const char *what, char *err, size_t errlen)
{
	struct member_query q = {.pointer = true};
	Dwarf_Die ptr = *in;
	int tag = dwarf_tag(in);

	if (tag != DW_TAG_pointer_type && tag != DW_TAG_reference_type &&
	    !step(in, &q, &ptr, what, err, errlen))
		return false;
	if (!type_walk_type_of(&ptr, out)) {
		snprintf(err, errlen, "tokio layout: %s has no pointee type", what);
		return false;
	}
	return true;
}

static bool member(Dwarf_Die *type, const char *name, uint64_t *off, Dwarf_Die *mtype, char *err,
		   size_t errlen)
{
	if (type_walk_member(type, name, off, mtype))
		return true;
	snprintf(err, errlen, "tokio layout: no member %s in DWARF type %s", name,
		 dwarf_diename(type) ? dwarf_diename(type) : "(anonymous)");
	return false;
}

/* Most shards a ShardedList has (tokio caps them at 1 << 16). */
#define MAX_SHARDS (1u << 16)

bool tokio_owned_lists(pid_t pid, const struct typed_value *owned, struct tokio_lists *out,
		       char *err, size_t errlen)
{
	struct member_query sharded = {.type_prefix = "ShardedList<"};
	struct member_query list = {.type_prefix = "LinkedList<"};
	struct typed_value sl, found, elem = {.addr = 0};
	uint64_t lists_off, ptr_off, len_off, data = 0, length = 0;
	Dwarf_Die box, ptr, t;

	memset(out, 0, sizeof(*out));
	if (!type_walk_find(pid, owned, &sharded, &sl)) {
		/* tokio before the sharded list (1.24): one list */
		if (!type_walk_find(pid, owned, &list, &found)) {
			Dwarf_Die type = owned->type;
			const char *name = dwarf_diename(&type);

			snprintf(
			    err, errlen,
			    "tokio layout: neither ShardedList nor LinkedList in DWARF type %s",
			    name ? name : "OwnedTasks");
			return false;
		}
		out->list_type = found.type;
		out->first = found.addr;
		out->count = 1;
		return true;
	}
	/* lists: Box<[Mutex<LinkedList>]>, a fat pointer (data_ptr, length) */
	if (!member(&sl.type, "lists", &lists_off, &box, err, errlen) ||
	    !member(&box, "data_ptr", &ptr_off, &ptr, err, errlen) ||
	    !member(&box, "length", &len_off, &t, err, errlen) ||
	    !pointee(&ptr, &elem.type, "ShardedList.lists.data_ptr", err, errlen) ||
	    !step(&elem.type, &list, &t, "LinkedList", err, errlen))
		return false;
	type_walk_find(0, &elem, &list, &found);
	out->list_type = found.type;
	out->stride = type_walk_size(&elem.type);
	if (out->stride < found.addr + type_walk_size(&found.type) || out->stride > 4096) {
		snprintf(err, errlen, "tokio layout: ShardedList shard size %llu implausible",
			 (unsigned long long)out->stride);
		return false;
	}
	out->first = found.addr;
	if (pid <= 0 || !owned->addr)
		return true;
	if (target_read_memory(pid, sl.addr + lists_off + ptr_off, &data, sizeof(data)) ||
	    target_read_memory(pid, sl.addr + lists_off + len_off, &length, sizeof(length)) ||
	    !data || !length || length > MAX_SHARDS) {
		snprintf(err, errlen, "tokio: unreadable shard array (%llu shards)",
			 (unsigned long long)length);
		return false;
	}
	out->first += data;
	out->count = length;
	return true;
}

/* CONTEXT -> handle -> Arc -> ArcInner -> OwnedTasks -> (a shard's)
 * LinkedList.head -> Header: the whole path exists in the types, whichever
 * scheduler. */
static bool read_header_type(struct tokio_layout *l, Dwarf_Die *header, char *err, size_t errlen)
{
	struct member_query handle = {.name = "handle"};
	struct member_query arc = {.type_prefix = "Arc<tokio::runtime::scheduler::"};
	struct member_query owned = {.type_prefix = "OwnedTasks<"};
	struct typed_value tasks = {.addr = 0};
	struct tokio_lists lists;
	Dwarf_Die t, head;
	uint64_t off;

	if (!step(&l->context_type, &handle, &t, "member handle", err, errlen) ||
	    !step(&t, &arc, &t, "Arc<tokio::runtime::scheduler::…>", err, errlen) ||
	    !pointee(&t, &t, "the Arc's pointer", err, errlen) ||
	    !step(&t, &owned, &tasks.type, "OwnedTasks", err, errlen) ||
	    !tokio_owned_lists(0, &tasks, &lists, err, errlen))
		return false;
	return member(&lists.list_type, "head", &off, &head, err, errlen) &&
	       pointee(&head, header, "LinkedList.head", err, errlen);
}

static bool fits(uint64_t off, uint64_t size)
{
	return off + sizeof(uint64_t) <= size && size <= 256;
}

static bool read_header(struct tokio_layout *l, Dwarf_Die *header, Dwarf_Die *vtable, char *err,
			size_t errlen)
{
	Dwarf_Die t;

	l->header_size = type_walk_size(header);
	if (!member(header, "state", &l->state_off, &t, err, errlen) ||
	    !member(header, "vtable", &l->vtable_off, &t, err, errlen) ||
	    !pointee(&t, vtable, "Header.vtable", err, errlen))
		return false;
	l->has_owner_id = type_walk_member(header, "owner_id", &l->owner_id_off, &t);
	l->vtable_size = type_walk_size(vtable);
	if (!member(vtable, "poll", &l->poll_off, &t, err, errlen) ||
	    !member(vtable, "trailer_offset", &l->trailer_offset_off, &t, err, errlen))
		return false;
	/* tokio before 1.2x kept the id in Core at no recorded offset. */
	l->has_id_offset = type_walk_member(vtable, "id_offset", &l->id_offset_off, &t);
	/* Every word read lies inside its struct (the walk reads whole
	 * structs into buffers of the DWARF's size). */
	if (!fits(l->state_off, l->header_size) || !fits(l->vtable_off, l->header_size) ||
	    (l->has_owner_id && !fits(l->owner_id_off, l->header_size)) ||
	    !fits(l->poll_off, l->vtable_size) || !fits(l->trailer_offset_off, l->vtable_size) ||
	    (l->has_id_offset && !fits(l->id_offset_off, l->vtable_size))) {
		snprintf(err, errlen,
			 "tokio layout: Header or Vtable fields outside their DWARF size");
		return false;
	}
	return true;
}

static bool read_trailer(struct tokio_layout *l, char *err, size_t errlen)
{
	static const char *const core_ns[] = {"tokio", "runtime", "task", "core", NULL};
	struct member_query next = {.name = "next"}, prev = {.name = "prev"};
	struct typed_value owned, found;
	Dwarf_Die trailer;
	uint64_t off;

	if (!dwarf_find(l->dw, core_ns, dwarf_find_struct, "Trailer", &trailer)) {
		snprintf(err, errlen,
			 "tokio layout: no DWARF type tokio::runtime::task::core::"
			 "Trailer (built without type debug info, debug = 1?)");
		return false;
	}
	if (!member(&trailer, "owned", &off, &owned.type, err, errlen))
		return false;
	owned.addr = 0;
	if (!type_walk_find(0, &owned, &next, &found)) {
		snprintf(err, errlen, "tokio layout: no member next in Trailer.owned");
		return false;
	}
	l->next_off = off + found.addr;
	if (!type_walk_find(0, &owned, &prev, &found)) {
		snprintf(err, errlen, "tokio layout: no member prev in Trailer.owned");
		return false;
	}
	l->prev_off = off + found.addr;
	return true;
}

static int read_context(struct tokio_layout *l, char *err, size_t errlen)
{
	static const char *const context_ns[] = {"tokio", "runtime", "context", NULL};
	Dwarf_Die var;

	if (!dwarf_find(l->dw, context_ns, dwarf_find_variable, l->context.name, &var) ||
	    !type_walk_type_of(&var, &l->context_type)) {
		snprintf(err, errlen,
			 "tokio layout: no DWARF variable for the thread-local %s "
			 "(built without type debug info, debug = 1?)",
			 l->context.name);
		return -ENODATA;
	}
	return 0;
}

int tokio_layout_read(const char *binary, const char *dwarf_path, struct tokio_layout *l, char *err,
		      size_t errlen)
{
	Dwarf_Die header, vtable;
	int ret;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	ret = tls_symbol_find(binary, CONTEXT_SYMBOL, &l->context);
	if (ret) {
		snprintf(err, errlen,
			 "tokio layout: no thread-local tokio::runtime::context::CONTEXT "
			 "in the symbol table of %s (stripped, or not tokio 1.x?)",
			 binary);
		return ret;
	}
	l->fd = open(dwarf_path, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "tokio layout: cannot open %s: %s", dwarf_path,
			 strerror(errno));
		goto fail;
	}
	l->dw = dwarf_begin(l->fd, DWARF_C_READ);
	ret = -ENODATA;
	if (!l->dw) {
		snprintf(err, errlen, "tokio layout: no DWARF in %s", dwarf_path);
		goto fail;
	}
	ret = read_context(l, err, errlen);
	if (ret)
		goto fail;
	ret = -ENODATA;
	if (!read_header_type(l, &header, err, errlen) ||
	    !read_header(l, &header, &vtable, err, errlen) || !read_trailer(l, err, errlen))
		goto fail;
	index_cells(l);
	index_polls(l);
	return 0;
fail:
	tokio_layout_free(l);
	return ret;
}

bool tokio_layout_future_offset(const struct tokio_layout *l, const char *poll_name,
				uint64_t *offset)
{
	struct member_query running = {.name = "Running"};
	const char *open = strchr(poll_name, '<'), *close = strrchr(poll_name, '>');
	struct typed_value cell = {.addr = 0}, found;
	struct cell_type key = {.name = NULL}, *hit;
	Dwarf_Die payload;
	uint64_t payload_off;
	char name[1024];

	if (!open || !close || close < open ||
	    snprintf(name, sizeof(name), "Cell<%.*s>", (int)(close - open - 1), open + 1) >=
		(int)sizeof(name))
		return false;
	key.name = name;
	hit = bsearch(&key, l->cells, l->ncells, sizeof(*l->cells), compare_cells);
	if (!hit || !dwarf_offdie(l->dw, hit->die, &cell.type) ||
	    !type_walk_find(0, &cell, &running, &found) ||
	    !type_walk_member(&found.type, "__0", &payload_off, &payload))
		return false;
	*offset = found.addr + payload_off;
	return true;
}

void tokio_layout_free(struct tokio_layout *l)
{
	if (l->dw)
		dwarf_end(l->dw);
	if (l->fd >= 0)
		close(l->fd);
	tls_symbol_free(&l->context);
	while (l->ncells)
		free(l->cells[--l->ncells].name);
	free(l->cells);
	l->cells = NULL;
	while (l->npolls)
		free(l->polls[--l->npolls].name);
	free(l->polls);
	l->polls = NULL;
	l->dw = NULL;
	l->fd = -1;
}
