#include "probe/coroutine_layout.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/awaitee_names.h"
#include "probe/dwarf_index.h"
#include "probe/dwarf_location.h"
#include "probe/macro_await.h"
#include "probe/site_table.h"

/* More states than any async fn has awaits: a corrupt file. */
#define MAX_STATES 4096
/* Values up to two registers come back in rax:rdx; larger ones through a
 * pointer the caller passes as the first argument. */
#define MAX_REGISTER_RETURN 16

/* The DIE a type attribute refers to, looking through typedefs and
 * qualifiers. */
static bool type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute attr;
	int hops;

	if (!dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &attr), out))
		return false;
	for (hops = 0; hops < 16; hops++) {
		int tag = dwarf_tag(out);

		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type)
			return true;
		if (!dwarf_formref_die(dwarf_attr_integrate(out, DW_AT_type, &attr), out))
			return false;
	}
	return false;
}

static bool first_child_tagged(Dwarf_Die *parent, int tag, Dwarf_Die *out)
{
	if (dwarf_child(parent, out) != 0)
		return false;
	do {
		if (dwarf_tag(out) == tag)
			return true;
	} while (dwarf_siblingof(out, out) == 0);
	return false;
}

/* self: Pin<&mut Env> is a struct holding a pointer to the coroutine. */
static bool coroutine_type(Dwarf_Die *fn, Dwarf_Die *env)
{
	Dwarf_Die param, pin, member, ptr;

	if (!first_child_tagged(fn, DW_TAG_formal_parameter, &param) || !type_of(&param, &pin))
		return false;
	if (dwarf_tag(&pin) != DW_TAG_structure_type ||
	    !first_child_tagged(&pin, DW_TAG_member, &member) || !type_of(&member, &ptr))
		return false;
	if (dwarf_tag(&ptr) != DW_TAG_pointer_type && dwarf_tag(&ptr) != DW_TAG_reference_type)
		return false;
	return type_of(&ptr, env) && dwarf_tag(env) == DW_TAG_structure_type;
}

static bool member_offset(Dwarf_Die *member, uint64_t *off)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;

	if (dwarf_formudata(dwarf_attr(member, DW_AT_data_member_location, &attr), &w))
		return false;
	*off = w;
	return true;
}

static bool read_discriminant(Dwarf_Die *part, struct coroutine_layout *l)
{
	Dwarf_Attribute attr;
	Dwarf_Die discr, type;
	Dwarf_Word size;

	if (!dwarf_formref_die(dwarf_attr(part, DW_AT_discr, &attr), &discr) ||
	    !member_offset(&discr, &l->state_offset) || !type_of(&discr, &type) ||
	    dwarf_formudata(dwarf_attr(&type, DW_AT_byte_size, &attr), &size))
		return false;
	if (size != 1 && size != 2 && size != 4)
		return false;
	l->state_size = (uint8_t)size;
	return l->state_offset + size <= l->size;
}

/* Where rustc says the state waits; for an .await a dependency's macro
 * wrote, the user's line of the macro call instead (macro_await.h). */
static char *state_location(Dwarf_Die *fn, Dwarf_Die *member, const char *comp_dir, bool *in_macro)
{
	const char *file = dwarf_decl_file(member);
	char *user =
	    file && dwarf_library_file(file) ? macro_await_location(fn, member, comp_dir) : NULL;

	*in_macro = user != NULL;
	return user ? user : decl_location(member, comp_dir);
}

/* The awaited futures' types of every layout read, named at the end
 * (awaitee_names.h): by then no layout's arrays grow any more. */
struct awaitees {
	struct awaitee_state {
		struct coroutine_layout *l;
		size_t state;
		Dwarf_Off cu, type;
	} * list;
	size_t count, cap;
	Dwarf_Off cu; /* of the fn being read */
};

static void note_awaitee(struct awaitees *a, struct coroutine_layout *l, size_t state,
			 Dwarf_Die *member)
{
	Dwarf_Off type;

	if (!awaitee_type_offset(member, &type))
		return;
	if (a->count == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		struct awaitee_state *grown = realloc(a->list, cap * sizeof(*grown));

		if (!grown)
			return;
		a->list = grown;
		a->cap = cap;
	}
	a->list[a->count++] = (struct awaitee_state){l, state, a->cu, type};
}

static void name_awaitees(Dwarf *dw, struct awaitees *a)
{
	struct awaitee_wanted *w = calloc(a->count ? a->count : 1, sizeof(*w));
	size_t i;

	if (w) {
		for (i = 0; i < a->count; i++) {
			struct awaitee_state *s = &a->list[i];

			w[i] =
			    (struct awaitee_wanted){s->cu, s->type, &s->l->state_awaitee[s->state]};
		}
		awaitee_names_resolve(dw, w, a->count);
	}
	free(w);
	free(a->list);
}

static bool grow_states(struct coroutine_layout *l, size_t n)
{
	char **locations = realloc(l->state_location, n * sizeof(*locations));
	char **awaitees;
	bool *macro;

	if (!locations)
		return false;
	l->state_location = locations;
	awaitees = realloc(l->state_awaitee, n * sizeof(*awaitees));
	if (!awaitees)
		return false;
	l->state_awaitee = awaitees;
	macro = realloc(l->macro_await, n * sizeof(*macro));
	if (!macro)
		return false;
	l->macro_await = macro;
	memset(locations + l->nstates, 0, (n - l->nstates) * sizeof(*locations));
	memset(awaitees + l->nstates, 0, (n - l->nstates) * sizeof(*awaitees));
	memset(macro + l->nstates, 0, (n - l->nstates) * sizeof(*macro));
	l->nstates = n;
	return true;
}

static void read_variant(Dwarf_Die *fn, Dwarf_Die *variant, struct coroutine_layout *l,
			 const char *comp_dir, struct awaitees *a)
{
	Dwarf_Attribute attr;
	Dwarf_Word value;
	Dwarf_Die member;

	if (dwarf_formudata(dwarf_attr(variant, DW_AT_discr_value, &attr), &value) ||
	    value >= MAX_STATES || !first_child_tagged(variant, DW_TAG_member, &member))
		return;
	if (value >= l->nstates && !grow_states(l, value + 1))
		return;
	free(l->state_location[value]);
	l->state_location[value] = state_location(fn, &member, comp_dir, &l->macro_await[value]);
	if (value >= COROUTINE_SUSPEND0)
		note_awaitee(a, l, value, &member);
}

static struct coroutine_layout *read_layout(Dwarf_Die *fn, Dwarf_Die *env, const char *comp_dir,
					    struct awaitees *a)
{
	struct coroutine_layout *l = calloc(1, sizeof(*l));
	size_t noted = a->count;
	Dwarf_Attribute attr;
	Dwarf_Die part, variant;
	Dwarf_Word size;

	if (!l || dwarf_formudata(dwarf_attr(env, DW_AT_byte_size, &attr), &size) ||
	    !first_child_tagged(env, DW_TAG_variant_part, &part))
		goto fail;
	l->size = size;
	if (!read_discriminant(&part, l) || dwarf_child(&part, &variant) != 0)
		goto fail;
	do {
		if (dwarf_tag(&variant) == DW_TAG_variant)
			read_variant(fn, &variant, l, comp_dir, a);
	} while (dwarf_siblingof(&variant, &variant) == 0);
	if (l->nstates == 0)
		goto fail;
	return l;
fail:
	a->count = noted; /* none of a freed layout's states */
	coroutine_layout_free(l);
	return NULL;
}

static bool returns_through_pointer(Dwarf_Die *fn)
{
	Dwarf_Die ret;
	Dwarf_Word size;

	return type_of(fn, &ret) && dwarf_aggregate_size(&ret, &size) == 0 &&
	       size > MAX_REGISTER_RETURN;
}

static void read_site(Dwarf *dw, const struct dwarf_fn_info *fn, struct site *s, struct awaitees *a)
{
	Dwarf_Die die, cu, env;
	Dwarf_Attribute attr;
	const char *comp_dir;

	if (!dwarf_offdie(dw, fn->die_off, &die) || !dwarf_diecu(&die, &cu, NULL, NULL))
		return;
	comp_dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr));
	a->cu = dwarf_dieoffset(&cu);
	s->self_in_parm2 = returns_through_pointer(&die);
	if ((s->kind == FUTURE_ASYNC_FN || s->kind == FUTURE_ASYNC_BLOCK) &&
	    coroutine_type(&die, &env))
		s->layout = read_layout(&die, &env, comp_dir, a);
}

void coroutine_layouts_read(const char *elf_path, const struct dwarf_index *dwarf,
			    struct site_table *sites)
{
	struct awaitees a = {0};
	Dwarf *dw;
	size_t i;
	int fd;

	if (!dwarf)
		return;
	fd = open(elf_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	dw = dwarf_begin(fd, DWARF_C_READ);
	for (i = 0; dw && i < sites->count; i++) {
		struct site *s = &sites->sites[i];
		const struct dwarf_fn_info *fn;

		if (s->role != SITE_FUTURE)
			continue;
		fn = dwarf_index_lookup(dwarf, s->addr);
		if (fn)
			read_site(dw, fn, s, &a);
	}
	if (dw) {
		name_awaitees(dw, &a);
		dwarf_end(dw);
	}
	close(fd);
}

void coroutine_layout_free(struct coroutine_layout *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nstates; i++) {
		free(l->state_location[i]);
		free(l->state_awaitee ? l->state_awaitee[i] : NULL);
	}
	free(l->state_location);
	free(l->state_awaitee);
	free(l->macro_await);
	free(l);
}

const char *coroutine_state_location(const struct coroutine_layout *l, uint64_t state)
{
	return l && state < l->nstates ? l->state_location[state] : NULL;
}

bool coroutine_state_in_macro(const struct coroutine_layout *l, uint64_t state)
{
	return l && l->macro_await && state < l->nstates && l->macro_await[state];
}

const char *coroutine_state_awaitee(const struct coroutine_layout *l, uint64_t state)
{
	return l && l->state_awaitee && state < l->nstates ? l->state_awaitee[state] : NULL;
}
