/* libFuzzer harness: the DWARF index (src/probe/dwarf_index.c over libdw).
 * The input is the ELF file; a built index is checked against its
 * promises: sorted, unique addresses, every entry found again by lookup,
 * the kind agreeing with the name. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/dwarf_index.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dwarf_index *idx;
	size_t i, n;
	int err;

	err = dwarf_index_open(fuzz_file(data, size), &idx);
	if (err) {
		if (idx || (err != -ENOEXEC && err != -ENODATA && err != -EIO && err != -ENOMEM))
			abort();
		return 0;
	}
	n = dwarf_index_count(idx);
	for (i = 0; i < n; i++) {
		const struct dwarf_fn_info *fn = dwarf_index_at(idx, i);

		if (!fn || dwarf_index_lookup(idx, fn->addr) != fn)
			abort();
		if (i && dwarf_index_at(idx, i - 1)->addr >= fn->addr)
			abort();
		if (fn->kind != DWARF_FN_OTHER && (!fn->name || fn->name[0] != '{'))
			abort();
		/* The strings are the index's own, readable to their end. */
		sink += fn->name ? strlen(fn->name) : 0;
		sink += fn->file ? strlen(fn->file) : 0;
	}
	if (dwarf_index_at(idx, n) || dwarf_index_lookup(idx, 0))
		abort();
	dwarf_index_free(idx);
	return 0;
}
