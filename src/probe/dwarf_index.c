/* dwarf_index: map function entry addresses to what rustc's DWARF calls them.
 *
 * One pass over every compile unit collects the DW_TAG_subprogram DIEs that
 * own code, copies their name and decl file/line into the index, then sorts
 * by address so lookups are a binary search. libdw, the ELF handle and the
 * file descriptor are all released before dwarf_index_open() returns: a
 * profiler may keep the index for hours while the binary is rebuilt on disk.
 */
#include "dwarf_index.h"

#include "util/str_pool.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DIE trees are shallow (namespaces, types, nested lexical blocks), but the
 * walk recurses, so a corrupt or hostile file must not be able to blow the
 * stack. Deeper subtrees are skipped, not treated as errors. */
#define WALK_MAX_DEPTH 512

struct dwarf_index {
	struct dwarf_fn_info *fns; /* sorted by addr, addresses unique */
	size_t count, cap;
	struct str_pool pool;
};

/* A named function's decl line, by the hash of its namespace-qualified name
 * without generic arguments: where an async fn body's fn item is declared. */
struct fn_item {
	uint64_t hash;
	int line;
};

/* State of one dwarf_index_open() walk. */
struct walk {
	struct dwarf_index *idx;
	const char *comp_dir; /* of the CU being walked, NULL if absent */
	size_t comp_dir_len;
	char ns[2048]; /* enclosing namespaces, "app::conn" */
	size_t ns_len;
	struct fn_item *items;
	size_t item_count, item_cap;
};

/* Matches "{<word>#<digits>}", optionally followed by generic arguments
 * ("{closure#0}<()>" for a closure inside a generic fn). */
static bool name_is_special(const char *name, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	if (name[0] != '{' || strncmp(name + 1, word, n) != 0 || name[n + 1] != '#')
		return false;
	p = name + n + 2;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return p[0] == '}' && (p[1] == '\0' || p[1] == '<');
}

static enum dwarf_fn_kind kind_from_name(const char *name)
{
	if (!name || name[0] != '{')
		return DWARF_FN_OTHER;
	if (name_is_special(name, "async_fn"))
		return DWARF_FN_ASYNC_FN;
	/* An async closure's body is the async block the compiler wrote for
	 * it; it is polled like any other async block. */
	if (name_is_special(name, "async_block") || name_is_special(name, "async_closure"))
		return DWARF_FN_ASYNC_BLOCK;
	if (name_is_special(name, "closure"))
		return DWARF_FN_CLOSURE;
	return DWARF_FN_OTHER;
}

/* libdw joins relative line-table paths with DW_AT_comp_dir; give back the
 * part below comp_dir so reports show "src/main.rs", not a build path. */
static const char *relative_file(const struct walk *w, const char *file)
{
	size_t n = w->comp_dir_len;

	if (!w->comp_dir || n == 0 || strncmp(file, w->comp_dir, n) != 0)
		return file;
	if (w->comp_dir[n - 1] == '/')
		return file[n] ? file + n : file;
	if (file[n] == '/' && file[n + 1])
		return file + n + 1;
	return file;
}

/* The address a uprobe on this function would use. DW_AT_entry_pc or
 * DW_AT_low_pc when present; a function made only of DW_AT_ranges (split
 * hot/cold code) has no declared entry, and compilers list the range holding
 * the entry first, so take that. */
static bool fn_entry(Dwarf_Die *die, uint64_t *addr)
{
	Dwarf_Addr base, start, end, pc;

	if (dwarf_entrypc(die, &pc) == 0) {
		*addr = pc;
		return true;
	}
	if (dwarf_ranges(die, 0, &base, &start, &end) > 0) {
		*addr = start;
		return true;
	}
	return false;
}

/* Linkers point the DWARF of discarded (garbage-collected or duplicate)
 * functions at a tombstone instead of removing it: 0 for GNU ld, -1 or -2 for
 * lld. None of them is code. */
static bool addr_is_tombstone(uint64_t addr)
{
	return addr == 0 || addr >= UINT64_MAX - 1;
}

static int index_push(struct dwarf_index *idx, const struct dwarf_fn_info *fn)
{
	if (idx->count == idx->cap) {
		size_t cap = idx->cap ? idx->cap * 2 : 256;
		struct dwarf_fn_info *fns = realloc(idx->fns, cap * sizeof(*fns));

		if (!fns)
			return -ENOMEM;
		idx->fns = fns;
		idx->cap = cap;
	}
	idx->fns[idx->count++] = *fn;
	return 0;
}

/* Length of name without its generic arguments ("get<u32>" -> 3). */
static size_t name_len_without_generics(const char *name)
{
	const char *lt = strchr(name, '<');

	return lt ? (size_t)(lt - name) : strlen(name);
}

/* Every named function, with or without code (an inlined fn item keeps its
 * abstract DIE): an async fn body looks its fn item up here. Only the line:
 * the body lies inside its fn, in the same file. */
static int note_fn_item(struct walk *w, Dwarf_Die *die, const char *name)
{
	struct fn_item item = {0};
	uint64_t h;

	if (!name || name[0] == '{' || dwarf_decl_line(die, &item.line) != 0 || item.line <= 0)
		return 0;
	/* FNV-1a of "ns::name" without generics, fed in three pieces */
	h = str_pool_hash_more(str_pool_hash(w->ns, w->ns_len), "::", w->ns_len ? 2 : 0);
	item.hash = str_pool_hash_more(h, name, name_len_without_generics(name));
	if (w->item_count == w->item_cap) {
		size_t cap = w->item_cap ? w->item_cap * 2 : 1024;
		struct fn_item *items = realloc(w->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		w->items = items;
		w->item_cap = cap;
	}
	w->items[w->item_count++] = item;
	return 0;
}

static const char *intern_qualified(struct walk *w, const char *name)
{
	char buf[sizeof(w->ns) + 512];

	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)w->ns_len, w->ns, w->ns_len ? "::" : "", name);
	return str_pool_intern(&w->idx->pool, buf);
}

/* Record one subprogram if it owns code. Name and decl attributes are read
 * through dwarf_attr_integrate() (and dwarf_decl_*(), which integrate too):
 * an out-of-line copy of an inlined or generic function carries only
 * DW_AT_abstract_origin or DW_AT_specification, and the name lives on the
 * DIE it points to. */
static int visit_subprogram(struct walk *w, Dwarf_Die *die)
{
	struct dwarf_fn_info fn = {0};
	Dwarf_Attribute attr;
	const char *name, *file;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	if (note_fn_item(w, die, name))
		return -ENOMEM;
	if (!fn_entry(die, &fn.addr) || addr_is_tombstone(fn.addr))
		return 0;
	fn.die_off = dwarf_dieoffset(die);

	if (name) {
		fn.name = str_pool_intern(&w->idx->pool, name);
		if (!fn.name)
			return -ENOMEM;
	}
	fn.kind = kind_from_name(name);
	if (fn.kind != DWARF_FN_OTHER && !(fn.qualified = intern_qualified(w, name)))
		return -ENOMEM;

	file = dwarf_decl_file(die);
	if (file) {
		fn.file = str_pool_intern(&w->idx->pool, relative_file(w, file));
		if (!fn.file)
			return -ENOMEM;
	}
	if (dwarf_decl_line(die, &fn.line) != 0)
		fn.line = 0;

	return index_push(w->idx, &fn);
}

/* Which DIEs can have subprograms with code below them. Namespaces hold
 * nearly everything in Rust; types hold the declarations of methods of
 * generic types (and, from other producers, the definitions); subprograms
 * and their lexical blocks hold nested functions (closures in some rustc
 * versions, local functions in C). Everything else (members, parameters,
 * variables, base types) is stepped over by dwarf_siblingof() without being
 * looked at. */
static bool tag_may_nest_functions(int tag)
{
	switch (tag) {
	case DW_TAG_namespace:
	case DW_TAG_module:
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
	case DW_TAG_interface_type:
	case DW_TAG_subprogram:
	case DW_TAG_lexical_block:
		return true;
	default:
		return false;
	}
}

/* Appends a namespace's name to the path its functions are qualified by;
 * one too long for the buffer is left out (the path is then partial, only
 * ever shown, never matched for placement). */
static void enter_namespace(struct walk *w, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || w->ns_len + n + 3 > sizeof(w->ns))
		return;
	if (w->ns_len)
		w->ns[w->ns_len++] = ':', w->ns[w->ns_len++] = ':';
	memcpy(w->ns + w->ns_len, name, n);
	w->ns_len += n;
}

static int walk_children(struct walk *w, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child;
	int rc, err;

	if (depth > WALK_MAX_DEPTH)
		return 0;
	rc = dwarf_child(parent, &child);
	if (rc != 0)
		return rc < 0 ? -EIO : 0;
	do {
		int tag = dwarf_tag(&child);

		if (tag == DW_TAG_subprogram) {
			err = visit_subprogram(w, &child);
			if (err)
				return err;
		}
		if (tag_may_nest_functions(tag) && dwarf_haschildren(&child) > 0) {
			size_t ns_len = w->ns_len;

			if (tag == DW_TAG_namespace)
				enter_namespace(w, dwarf_diename(&child));
			err = walk_children(w, &child, depth + 1);
			w->ns_len = ns_len;
			if (err)
				return err;
		}
	} while ((rc = dwarf_siblingof(&child, &child)) == 0);
	return rc < 0 ? -EIO : 0;
}

static int walk_unit(struct walk *w, Dwarf_Die *cudie)
{
	Dwarf_Attribute attr;

	/* For a split unit this integrates the skeleton's comp_dir. */
	w->comp_dir = dwarf_formstring(dwarf_attr_integrate(cudie, DW_AT_comp_dir, &attr));
	w->comp_dir_len = w->comp_dir ? strlen(w->comp_dir) : 0;
	w->ns_len = 0;
	return walk_children(w, cudie, 0);
}

static int walk_all_units(struct walk *w, Dwarf *dw)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	Dwarf_Half version;
	uint8_t unit_type;
	int rc, err;

	while ((rc = dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, &subdie)) == 0) {
		switch (unit_type) {
		case DW_UT_compile:
		case DW_UT_partial:
			err = walk_unit(w, &cudie);
			break;
		case DW_UT_skeleton:
			/* The code DIEs are in the split unit (.dwo); libdw
			 * hands it over when it can find the file. */
			err = dwarf_tag(&subdie) == DW_TAG_compile_unit ? walk_unit(w, &subdie) : 0;
			break;
		default:
			/* Type units describe types only. */
			err = 0;
			break;
		}
		if (err)
			return err;
	}
	return rc < 0 ? -EIO : 0;
}

/* Orders by address, then puts the most informative DIE first so the
 * dedup below keeps it; DIE offset makes the order total and stable. */
static int fn_score(const struct dwarf_fn_info *fn)
{
	return (fn->kind != DWARF_FN_OTHER) * 4 + (fn->file != NULL) * 2 + (fn->name != NULL);
}

static int fn_cmp(const void *a, const void *b)
{
	const struct dwarf_fn_info *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (fn_score(x) != fn_score(y))
		return fn_score(x) > fn_score(y) ? -1 : 1;
	if (x->die_off != y->die_off)
		return x->die_off < y->die_off ? -1 : 1;
	return 0;
}

/* Several DIEs can claim one address (a function described in more than one
 * unit, folded identical code); a lookup has to give one answer. */
static void index_sort_unique(struct dwarf_index *idx)
{
	size_t out = 0;

	if (idx->count == 0)
		return;
	qsort(idx->fns, idx->count, sizeof(*idx->fns), fn_cmp);
	for (size_t i = 1; i < idx->count; i++) {
		if (idx->fns[i].addr != idx->fns[out].addr)
			idx->fns[++out] = idx->fns[i];
	}
	idx->count = out + 1;
}

/* libdw reports a missing .debug_info only as a generic error, so look for
 * the section first to give callers a clean -ENODATA. A stripped file may
 * keep the section header with SHT_NOBITS: that has no data either. */
static bool elf_has_debug_info(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr shdr;
		const char *name;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0))
			return true;
	}
	return false;
}

static int item_cmp(const void *a, const void *b)
{
	const struct fn_item *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* An async fn's body is declared at its `{`; a user looks for the line of
 * `async fn`, which is its fn item's (the namespace the body sits in). */
static void lines_from_fn_items(struct walk *w)
{
	size_t i;

	if (!w->item_count)
		return; /* no fn items (w->items may be NULL: qsort wants an array) */
	qsort(w->items, w->item_count, sizeof(*w->items), item_cmp);
	for (i = 0; i < w->idx->count; i++) {
		struct dwarf_fn_info *fn = &w->idx->fns[i];
		struct fn_item key = {0}, *item;
		size_t ns_len;

		if (fn->kind != DWARF_FN_ASYNC_FN || !fn->qualified ||
		    strlen(fn->qualified) < strlen(fn->name) + 3)
			continue;
		/* qualified is "ns::name": the fn item is "ns" */
		ns_len = strlen(fn->qualified) - strlen(fn->name) - 2;
		key.hash = str_pool_hash(fn->qualified, ns_len);
		item = bsearch(&key, w->items, w->item_count, sizeof(key), item_cmp);
		if (!item)
			continue;
		fn->line = item->line;
	}
}

int dwarf_index_open(const char *elf_path, struct dwarf_index **out)
{
	struct dwarf_index *idx = NULL;
	struct walk w = {0};
	Elf *elf = NULL;
	Dwarf *dw = NULL;
	int fd, err;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EIO;
	fd = open(elf_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto cleanup;
	}
	if (!elf_has_debug_info(elf)) {
		err = -ENODATA;
		goto cleanup;
	}
	dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!dw) {
		err = -EIO;
		goto cleanup;
	}

	idx = calloc(1, sizeof(*idx));
	if (!idx) {
		err = -ENOMEM;
		goto cleanup;
	}
	w.idx = idx;
	err = walk_all_units(&w, dw);
	if (err)
		goto cleanup;
	lines_from_fn_items(&w);
	index_sort_unique(idx);

	*out = idx;
	idx = NULL;
cleanup:
	free(w.items);
	dwarf_index_free(idx);
	if (dw)
		dwarf_end(dw);
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

size_t dwarf_index_count(const struct dwarf_index *idx)
{
	return idx ? idx->count : 0;
}

const struct dwarf_fn_info *dwarf_index_at(const struct dwarf_index *idx, size_t i)
{
	return idx && i < idx->count ? &idx->fns[i] : NULL;
}

static int fn_addr_cmp(const void *key, const void *elem)
{
	uint64_t addr = *(const uint64_t *)key;
	const struct dwarf_fn_info *fn = elem;

	return addr < fn->addr ? -1 : addr > fn->addr;
}

const struct dwarf_fn_info *dwarf_index_lookup(const struct dwarf_index *idx, uint64_t addr)
{
	if (!idx || idx->count == 0)
		return NULL;
	return bsearch(&addr, idx->fns, idx->count, sizeof(*idx->fns), fn_addr_cmp);
}

void dwarf_index_free(struct dwarf_index *idx)
{
	if (!idx)
		return;
	str_pool_free(&idx->pool);
	free(idx->fns);
	free(idx);
}
