#include "taskwalk/async_task_layout.h"

#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "taskwalk/dwarf_find.h"
#include "taskwalk/type_walk.h"

#define STATE_ARC "OnceCell<alloc::sync::Arc<async_executor::State"

/* The executors in statics, by the mangled names' path part (legacy
 * mangling: <len><ident>…) and the crate whose namespaces hold them. */
static const struct {
	const char *needle, *crate, *what;
} executor_statics[] = {
    {"21async_global_executor8executor15GLOBAL_EXECUTOR", "async_global_executor",
     "async-global-executor's GLOBAL_EXECUTOR"},
    {"4smol5spawn5spawn6GLOBAL", "smol", "smol::spawn's GLOBAL"},
};

static bool fail(char *err, size_t errlen, const char *what, Dwarf_Die *in)
{
	const char *name = in ? dwarf_diename(in) : NULL;

	snprintf(err, errlen, "async-task layout: no %s%s%s", what, name ? " in DWARF type " : "",
		 name ? name : "");
	return false;
}

static bool member(Dwarf_Die *type, const char *name, uint64_t *off, Dwarf_Die *mtype, char *err,
		   size_t errlen)
{
	char what[64];

	if (type_walk_member(type, name, off, mtype))
		return true;
	snprintf(what, sizeof(what), "member %s", name);
	return fail(err, errlen, what, type);
}

/* A static search: the first member matching q anywhere in type. */
static bool find(Dwarf_Die *type, const struct member_query *q, uint64_t *off,
		 Dwarf_Die *found_type)
{
	struct typed_value v = {.type = *type, .addr = 0}, found;

	if (!type_walk_find(0, &v, q, &found))
		return false;
	*off = found.addr;
	if (found_type)
		*found_type = found.type;
	return true;
}

static bool pointee(Dwarf_Die *ptr, Dwarf_Die *out)
{
	int tag = dwarf_tag(ptr);

	return (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type) &&
	       type_walk_type_of(ptr, out);
}

static bool fits(uint64_t off, uint64_t size)
{
	return off + sizeof(uint64_t) <= size && size <= 256;
}

/* Header and TaskVTable, and the TaskLayout the vtable points to. */
static bool read_header(struct async_task_layout *l, char *err, size_t errlen)
{
	static const char *const header_ns[] = {"async_task", "header", NULL};
	struct member_query offset_f = {.name = "offset_f"}, offset_s = {.name = "offset_s"};
	Dwarf_Die header, t, vtable, layout_ptr;

	/* Header in 4.3; Header<M> from 4.5 (a task's metadata type). */
	if (!dwarf_find(l->dw, header_ns, dwarf_find_struct, "Header", &header) &&
	    !dwarf_find(l->dw, header_ns, dwarf_find_struct, "Header<", &header))
		return fail(err, errlen,
			    "DWARF type async_task::header::Header (built without type debug "
			    "info, debug = 1?)",
			    NULL);
	l->header_size = type_walk_size(&header);
	if (!member(&header, "state", &l->state_off, &t, err, errlen) ||
	    !member(&header, "vtable", &l->vtable_off, &t, err, errlen))
		return false;
	if (!pointee(&t, &vtable))
		return fail(err, errlen, "pointee of Header.vtable", NULL);
	l->vtable_size = type_walk_size(&vtable);
	if (!member(&vtable, "run", &l->run_off, &t, err, errlen) ||
	    !member(&vtable, "layout_info", &l->layout_info_off, &layout_ptr, err, errlen))
		return false;
	if (!pointee(&layout_ptr, &l->layout_opt))
		return fail(err, errlen, "pointee of TaskVTable.layout_info", NULL);
	l->layout_opt_size = type_walk_size(&l->layout_opt);
	if (!find(&l->layout_opt, &offset_f, &l->offset_f_off, NULL) ||
	    !find(&l->layout_opt, &offset_s, &l->offset_s_off, NULL))
		return fail(err, errlen, "offset_f or offset_s", &l->layout_opt);
	if (!fits(l->state_off, l->header_size) || !fits(l->vtable_off, l->header_size) ||
	    !fits(l->run_off, l->vtable_size) || !fits(l->layout_info_off, l->vtable_size) ||
	    !fits(l->offset_f_off, l->layout_opt_size) ||
	    !fits(l->offset_s_off, l->layout_opt_size)) {
		snprintf(err, errlen,
			 "async-task layout: Header or TaskVTable fields outside "
			 "their DWARF size");
		return false;
	}
	return true;
}

bool async_task_discriminant(Dwarf_Die *type, Dwarf_Die *part, uint64_t *off, uint64_t *size)
{
	Dwarf_Die discr, dtype;
	Dwarf_Attribute attr;
	Dwarf_Word w = 0;

	if (dwarf_child(type, part) != 0)
		return false;
	while (dwarf_tag(part) != DW_TAG_variant_part)
		if (dwarf_siblingof(part, part) != 0)
			return false;
	if (!dwarf_formref_die(dwarf_attr(part, DW_AT_discr, &attr), &discr) ||
	    dwarf_formudata(dwarf_attr(&discr, DW_AT_data_member_location, &attr), &w) ||
	    !type_walk_type_of(&discr, &dtype))
		return false;
	*off = w;
	*size = type_walk_size(&dtype);
	return *size > 0 && *size <= 8;
}

/* Entry<Waker>'s variant part: which discriminant values are Vacant and
 * Occupied (rustc may use a niche: the Waker's non-null vtable pointer,
 * with Occupied the variant without a value), and the Waker's data. */
static bool read_entry(struct async_task_layout *l, Dwarf_Die *entry, char *err, size_t errlen)
{
	struct member_query data = {.name = "data"};
	Dwarf_Die part, variant, m, payload, waker;
	Dwarf_Attribute attr;
	bool vacant = false, occupied = false;
	uint64_t payload_off = 0, waker_off = 0, data_off = 0;

	l->entry_size = type_walk_size(entry);
	if (!async_task_discriminant(entry, &part, &l->discr_off, &l->discr_size))
		return fail(err, errlen, "discriminant", entry);
	if (dwarf_child(&part, &variant) != 0)
		return fail(err, errlen, "variants", entry);
	do {
		Dwarf_Word value = 0;
		bool explicit;
		const char *name;

		if (dwarf_tag(&variant) != DW_TAG_variant || dwarf_child(&variant, &m) != 0)
			continue;
		while (dwarf_tag(&m) != DW_TAG_member)
			if (dwarf_siblingof(&m, &m) != 0)
				break;
		name = dwarf_diename(&m);
		explicit =
		    dwarf_formudata(dwarf_attr(&variant, DW_AT_discr_value, &attr), &value) == 0;
		if (!name)
			continue;
		if (strcmp(name, "Vacant") == 0 && explicit) {
			l->vacant_value = value;
			vacant = true;
		} else if (strcmp(name, "Occupied") == 0) {
			Dwarf_Attribute loc;
			Dwarf_Word w = 0;

			l->occupied_explicit = explicit;
			l->occupied_value = value;
			if (dwarf_hasattr(&m, DW_AT_data_member_location) &&
			    dwarf_formudata(dwarf_attr(&m, DW_AT_data_member_location, &loc), &w))
				continue;
			if (!type_walk_type_of(&m, &payload) ||
			    !type_walk_member(&payload, "__0", &waker_off, &waker))
				continue;
			payload_off = w;
			occupied = true;
		}
	} while (dwarf_siblingof(&variant, &variant) == 0);
	if (!vacant || !occupied || !find(&waker, &data, &data_off, NULL))
		return fail(err, errlen, "Vacant/Occupied(Waker { data })", entry);
	l->waker_data_off = payload_off + waker_off + data_off;
	if (l->discr_size == 0 || l->discr_size > 8 || !fits(l->waker_data_off, l->entry_size) ||
	    l->discr_off + l->discr_size > l->entry_size)
		return fail(err, errlen, "sane Entry layout", entry);
	return true;
}

/* ArcInner<State> -> State.active -> Slab -> Vec<Entry<Waker>>. */
static bool read_state(struct async_task_layout *l, char *err, size_t errlen)
{
	static const char *const sync_ns[] = {"alloc", "sync", NULL};
	struct member_query slab_q = {.type_prefix = "Slab<"}, ptr = {.pointer = true};
	struct member_query futex = {.name = "futex"};
	Dwarf_Die inner, state, active, slab, vec, entry, t;
	uint64_t data_off, active_off, slab_in, entries_off;

	if (!dwarf_find(l->dw, sync_ns, dwarf_find_struct, "ArcInner<async_executor::State>",
			&inner))
		return fail(err, errlen, "DWARF type ArcInner<async_executor::State>", NULL);
	if (!member(&inner, "data", &data_off, &state, err, errlen) ||
	    !member(&state, "active", &active_off, &active, err, errlen))
		return false;
	if (!find(&active, &slab_q, &slab_in, &slab))
		return fail(err, errlen, "Slab", &active);
	l->has_lock = find(&active, &futex, &l->lock_off, &t) && type_walk_size(&t) == 4;
	l->lock_off += data_off + active_off;
	l->slab_off = data_off + active_off + slab_in;
	if (!member(&slab, "entries", &entries_off, &vec, err, errlen) ||
	    !member(&slab, "len", &l->slab_len_off, &t, err, errlen) ||
	    !member(&vec, "len", &l->entries_len_off, &t, err, errlen))
		return false;
	l->slab_len_off += l->slab_off;
	l->entries_len_off += l->slab_off + entries_off;
	if (!find(&vec, &ptr, &l->entries_ptr_off, NULL))
		return fail(err, errlen, "pointer", &vec);
	l->entries_ptr_off += l->slab_off + entries_off;
	if (!dwarf_find_template_param(&vec, "T", &entry))
		return fail(err, errlen, "element type", &vec);
	return read_entry(l, &entry, err, errlen);
}

static bool is_schedule_closure(Dwarf_Die *die, const char *parent, const void *arg)
{
	const char *n = dwarf_diename(die);
	struct member_query ptr = {.pointer = true};
	uint64_t *off = (uint64_t *)arg, in_arc;
	Dwarf_Die t;

	if (dwarf_tag(die) != DW_TAG_structure_type || !n || !parent ||
	    strncmp(n, "{closure_env#", 13) != 0 || strcmp(parent, "schedule") != 0 ||
	    !type_walk_member(die, "state", off, &t))
		return false;
	n = dwarf_diename(&t);
	if (!n || strncmp(n, "Arc<async_executor::State", 25) != 0 ||
	    !find(&t, &ptr, &in_arc, NULL))
		return false;
	*off += in_arc; /* the Arc's pointer to its ArcInner<State> */
	return true;
}

static bool find_object_symbol(Elf *elf, const char *needle, char **name, uint64_t *addr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t i, count;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		count = sh.sh_size / sh.sh_entsize;
		for (i = 0; data && i < count; i++) {
			GElf_Sym sym;
			const char *s;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_OBJECT || !sym.st_value)
				continue;
			s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!s || !strstr(s, needle))
				continue;
			*name = strdup(s);
			*addr = sym.st_value;
			return *name != NULL;
		}
	}
	return false;
}

/* A static executor: its symbol, its DWARF variable, and in it the
 * OnceCell<Arc<State>> (inside Executor, itself maybe in a OnceCell). */
static void read_static(struct async_task_layout *l, Elf *elf, size_t i)
{
	const char *path[] = {executor_statics[i].crate, NULL};
	struct member_query cell = {.type_prefix = STATE_ARC}, ptr = {.pointer = true};
	struct executor_static *s = &l->statics[l->nstatics];
	Dwarf_Die var, type, cell_type, value_type, t;
	uint64_t addr, cell_off, state_off, value_off, ptr_off;
	char *name = NULL;

	if (!find_object_symbol(elf, executor_statics[i].needle, &name, &addr))
		return;
	if (dwarf_find(l->dw, path, dwarf_find_variable, name, &var) &&
	    type_walk_type_of(&var, &type) && find(&type, &cell, &cell_off, &cell_type) &&
	    type_walk_member(&cell_type, "state", &state_off, &t) &&
	    type_walk_member(&cell_type, "value", &value_off, &value_type) &&
	    find(&value_type, &ptr, &ptr_off, NULL)) {
		s->what = executor_statics[i].what;
		s->cell_state = addr + cell_off + state_off;
		s->cell_value = addr + cell_off + value_off + ptr_off;
		l->nstatics++;
	}
	free(name);
}

static void read_roots(struct async_task_layout *l, const char *binary)
{
	static const char *const executor_ns[] = {"async_executor", NULL};
	Dwarf_Die closure;
	Elf *elf;
	size_t i;
	int fd;

	l->has_schedule_state =
	    dwarf_find(l->dw, executor_ns, is_schedule_closure, &l->schedule_state_off, &closure);
	elf_version(EV_CURRENT);
	fd = open(binary, O_RDONLY | O_CLOEXEC);
	elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	for (i = 0; elf && i < sizeof(executor_statics) / sizeof(executor_statics[0]) &&
		    l->nstatics < ASYNC_EXECUTOR_MAX_STATICS;
	     i++)
		read_static(l, elf, i);
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	if (!l->nstatics)
		snprintf(l->missing, sizeof(l->missing),
			 "no global executor static (GLOBAL_EXECUTOR, smol's GLOBAL): only "
			 "executors of tasks seen polling are read");
	if (!l->has_schedule_state)
		snprintf(l->missing, sizeof(l->missing),
			 "no Executor::schedule closure type in DWARF: only global executors "
			 "are read");
}

int async_task_layout_read(const char *binary, const char *dwarf_path, struct async_task_layout *l,
			   char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->fd = open(dwarf_path, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0) {
		int e = errno;

		snprintf(err, errlen, "async-task layout: cannot open %s: %s", dwarf_path,
			 strerror(e));
		return -e;
	}
	l->dw = dwarf_begin(l->fd, DWARF_C_READ);
	if (!l->dw) {
		snprintf(err, errlen, "async-task layout: no DWARF in %s", dwarf_path);
		async_task_layout_free(l);
		return -ENODATA;
	}
	if (!read_header(l, err, errlen) || !read_state(l, err, errlen)) {
		async_task_layout_free(l);
		return -ENODATA;
	}
	read_roots(l, binary);
	if (!l->nstatics && !l->has_schedule_state) {
		snprintf(err, errlen,
			 "async-task layout: no executor reachable (no global "
			 "executor static, no Executor::schedule closure type)");
		async_task_layout_free(l);
		return -ENODATA;
	}
	return 0;
}

bool async_task_future_type(const struct async_task_layout *l, uint64_t run, Dwarf_Die *out)
{
	Dwarf_Die fn, origin;
	Dwarf_Attribute attr;

	if (!dwarf_find_subprogram_at(l->dw, run, &fn))
		return false;
	if (dwarf_find_template_param(&fn, "F", out))
		return true;
	/* A concrete instance may keep its template parameters on its
	 * declaration. */
	return (dwarf_formref_die(dwarf_attr(&fn, DW_AT_specification, &attr), &origin) ||
		dwarf_formref_die(dwarf_attr(&fn, DW_AT_abstract_origin, &attr), &origin)) &&
	       dwarf_find_template_param(&origin, "F", out);
}

/* Wrappers the runtimes put around a spawned future: async-executor's
 * spawn block (`async move { let _guard = …; future.await }`), async-std's
 * SupportTaskLocals { tag, future }. An application's own async block is
 * not generic (no '<' in its type's name) unless its fn is: one holding a
 * `future` would be read through, its line lost, not made up. */
static bool is_wrapper(Dwarf_Die *type)
{
	const char *n = dwarf_diename(type);

	return n && (strncmp(n, "SupportTaskLocals<", 18) == 0 ||
		     (strncmp(n, "{async_block_env#", 17) == 0 && strchr(n, '<')));
}

/* The wrapped future in v: a plain struct's `future`; in a coroutine's
 * active state (only its own members: a search would descend into the
 * future itself), the awaited one (__awaitee: a suspended block's
 * `future` upvar is moved out) or, not started yet, the `future` upvar. */
static bool wrapped(pid_t pid, const struct typed_value *v, struct typed_value *out,
		    unsigned *reads)
{
	const char *variant = type_walk_active_variant(pid, (Dwarf_Die *)&v->type, v->addr);
	struct typed_value state = *v;
	uint64_t off;

	if (variant) {
		struct member_query q = {.name = variant};

		(*reads)++;
		if (!type_walk_find(pid, v, &q, &state))
			return false;
		if (type_walk_member(&state.type, "__awaitee", &off, &out->type)) {
			out->addr = state.addr + off;
			return true;
		}
	}
	if (!type_walk_member(&state.type, "future", &off, &out->type))
		return false;
	out->addr = state.addr + off;
	return true;
}

bool async_task_unwrap_future(const struct async_task_layout *l, pid_t pid, Dwarf_Die *type,
			      uint64_t *addr, unsigned *reads)
{
	struct typed_value v = {.type = *type, .addr = *addr}, found;
	int depth;

	(void)l;
	*reads = 0;
	for (depth = 0; depth < 6; depth++) {
		const char *n = dwarf_diename(&v.type);

		if (n && strncmp(n, "Pin<alloc::boxed::Box<", 22) == 0) {
			/* A large future is boxed: its address is in the Pin. */
			if (!type_walk_deref(pid, &v, &found))
				return false;
			(*reads)++;
		} else if (!is_wrapper(&v.type)) {
			*addr = v.addr;
			return true;
		} else if (!wrapped(pid, &v, &found, reads)) {
			return false;
		}
		v = found;
	}
	return false;
}

void async_task_layout_free(struct async_task_layout *l)
{
	if (l->dw)
		dwarf_end(l->dw);
	if (l->fd >= 0)
		close(l->fd);
	l->dw = NULL;
	l->fd = -1;
}
