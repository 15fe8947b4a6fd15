/* dwarf_index: what the compiler's DWARF says about each out-of-line function
 * of a (Rust) binary, keyed by entry address.
 *
 * The symbol table cannot tell an async fn body from an async block or a
 * closure: rustc names all three `path::{{closure}}`. DWARF keeps them apart
 * ({async_fn#N}, {async_block#N}, {closure#N}) and carries the source line,
 * so the probe layer looks a symbol's st_value up here before deciding how to
 * label it.
 *
 * The index is built once from the ELF file, copies what it needs and keeps
 * no file descriptor or mapping open afterwards.
 */
#ifndef CATTOP_PROBE_DWARF_INDEX_H
#define CATTOP_PROBE_DWARF_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* What DWARF says about one out-of-line function, keyed by its entry address. */
enum dwarf_fn_kind {
	DWARF_FN_OTHER = 0,
	DWARF_FN_ASYNC_FN,
	DWARF_FN_ASYNC_BLOCK,
	DWARF_FN_CLOSURE
};

struct dwarf_fn_info {
	/* DW_AT_low_pc (link-time virtual address, same space as ELF st_value) */
	uint64_t addr;
	/* From DW_AT_name: {async_fn#N}, {async_block#N}, {closure#N}, else OTHER.
	 * The body of an async closure ({async_closure#N}) is an async block
	 * the compiler wrote for the closure, so it counts as ASYNC_BLOCK. */
	enum dwarf_fn_kind kind;
	/* DW_AT_name, e.g. "{async_fn#0}" or "poll" (owned by the index) */
	const char *name;
	/* For async fns, blocks and closures: DW_AT_name under its enclosing
	 * namespaces, "app::main::{async_block#0}::{closure#0}::{async_block#0}",
	 * which keeps the kind of every enclosing closure the symbol's
	 * "{{closure}}" components lose; NULL otherwise (owned by the index) */
	const char *qualified;
	/* Decl file relative to the CU's DW_AT_comp_dir when it lies below it,
	 * else as DWARF has it; NULL if unknown (owned by the index) */
	const char *file;
	/* Decl line, 0 if unknown. An async fn's body ({async_fn#N}) is
	 * declared where its body's `{` is; it gets the line of its
	 * fn item, where `async fn` is written, when DWARF has that fn. */
	int line;
	/* Offset of the DIE in .debug_info, so a later pass can go back to it
	 * with dwarf_offdie() (e.g. to find the {async_fn_env#N} type). */
	uint64_t die_off;
};

struct dwarf_index;

/* Returns 0, -ENODATA when the binary has no .debug_info, or another -errno
 * (-ENOENT/-EACCES from open, -ENOEXEC for a non-ELF file, -ENOMEM, -EIO for
 * DWARF libdw cannot read). */
int dwarf_index_open(const char *elf_path, struct dwarf_index **out);

size_t dwarf_index_count(const struct dwarf_index *idx);

/* Exact match on entry address; NULL if unknown. O(log n). */
const struct dwarf_fn_info *dwarf_index_lookup(const struct dwarf_index *idx, uint64_t addr);

/* The i-th entry in address order (i < dwarf_index_count()), for callers
 * that want to walk the whole index. */
const struct dwarf_fn_info *dwarf_index_at(const struct dwarf_index *idx, size_t i);

void dwarf_index_free(struct dwarf_index *idx);

#endif
