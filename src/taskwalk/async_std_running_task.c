#include "taskwalk/async_std_running_task.h"

#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "taskwalk/async_task_layout.h"
#include "taskwalk/dwarf_find.h"
#include "taskwalk/tls_symbol.h"
#include "taskwalk/type_walk.h"

/* The mangled path of async-std's current-task thread-local (1.x); its
 * storage symbol is a __RUST_STD_INTERNAL_VAL below it. */
#define CURRENT_SYMBOL "9async_std4task19task_locals_wrapper7CURRENT"

/* The discriminant value of type's variant whose member is named name. */
static bool variant_value(Dwarf_Die *part, const char *name, uint64_t *value)
{
	Dwarf_Die variant, m;
	Dwarf_Attribute attr;
	Dwarf_Word w;

	if (dwarf_child(part, &variant) != 0)
		return false;
	do {
		const char *n;

		if (dwarf_tag(&variant) != DW_TAG_variant || dwarf_child(&variant, &m) != 0)
			continue;
		n = dwarf_diename(&m);
		if (n && strcmp(n, name) == 0 &&
		    dwarf_formudata(dwarf_attr(&variant, DW_AT_discr_value, &attr), &w) == 0) {
			*value = w;
			return true;
		}
	} while (dwarf_siblingof(&variant, &variant) == 0);
	return false;
}

/* A lazy Storage's state word: where, and the value of Alive. False when
 * the storage has none (an eager or const thread-local: always there). */
static bool alive_state(Dwarf_Die *storage, uint64_t *off, uint64_t *size, uint64_t *alive)
{
	struct member_query q = {.type_prefix = "State<"};
	struct typed_value v = {.type = *storage, .addr = 0}, state;
	Dwarf_Die part;
	uint64_t discr_off;

	if (!type_walk_find(0, &v, &q, &state) ||
	    !async_task_discriminant(&state.type, &part, &discr_off, size) ||
	    !variant_value(&part, "Alive", alive))
		return false;
	*off = state.addr + discr_off;
	return true;
}

static int layout(Dwarf_Die *storage, int64_t base, struct running_task_loc *out, char *err,
		  size_t errlen)
{
	struct member_query q = {.type_prefix = "Cell<*const"};
	struct typed_value v = {.type = *storage, .addr = 0}, cell;
	uint64_t state_off, state_size, alive;

	if (!type_walk_find(0, &v, &q, &cell) || type_walk_size(&cell.type) != 8) {
		snprintf(err, errlen,
			 "async-std: no Cell<*const TaskLocalsWrapper> in the thread-local "
			 "CURRENT's DWARF type");
		return -ENODATA;
	}
	out->value_off = base + (int64_t)cell.addr;
	if (alive_state(storage, &state_off, &state_size, &alive)) {
		out->discr_off = base + (int64_t)state_off;
		out->discr_mask = state_size == 8 ? ~0ULL : (1ULL << (state_size * 8)) - 1;
		out->discr_value = alive;
		out->value_only_if = true;
	} else {
		/* Always there: the pointer itself, null for no task. */
		out->discr_off = out->value_off;
		out->discr_mask = ~0ULL;
		out->discr_value = 0;
		out->value_only_if = false;
	}
	return 0;
}

int async_std_running_task_loc(const char *binary, Dwarf *dw, struct running_task_loc *out,
			       char *err, size_t errlen)
{
	static const char *const ns[] = {"async_std", "task", "task_locals_wrapper", NULL};
	struct tls_symbol sym;
	Dwarf_Die var, storage;
	int ret;

	ret = tls_symbol_find(binary, CURRENT_SYMBOL, &sym);
	if (ret) {
		snprintf(err, errlen,
			 "async-std: no thread-local task_locals_wrapper::CURRENT in the symbol "
			 "table of %s (stripped?)",
			 binary);
		return ret;
	}
	/* The symbol's own DWARF variable (matched by linkage name): rustc
	 * may describe other, unused storages of the same thread_local!. */
	if (!dwarf_find(dw, ns, dwarf_find_variable, sym.name, &var) ||
	    !type_walk_type_of(&var, &storage)) {
		snprintf(err, errlen,
			 "async-std: no DWARF variable for the thread-local %s (built without "
			 "type debug info, debug = 1?)",
			 sym.name);
		tls_symbol_free(&sym);
		return -ENODATA;
	}
	ret = layout(&storage, (int64_t)sym.offset - (int64_t)sym.block_below, out, err, errlen);
	tls_symbol_free(&sym);
	return ret;
}
