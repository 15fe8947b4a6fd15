#include "probe/site_proof.h"

#include "probe/elf_symbols.h"
#include "probe/stack_scan.h"

/* The executable segment that holds all of [addr, addr + size) in the file. */
static const struct elf_code_segment *segment_holding(const struct elf_symbols *syms, uint64_t addr,
						      uint64_t size)
{
	size_t i;

	for (i = 0; i < syms->code_count; i++) {
		const struct elf_code_segment *seg = &syms->code[i];

		if (addr >= seg->vaddr && size <= seg->filesz &&
		    addr - seg->vaddr <= seg->filesz - size)
			return seg;
	}
	return NULL;
}

bool site_placement_proven(const struct elf_symbols *syms, uint64_t addr, uint64_t file_offset)
{
	const struct elf_symbol *sym = symbol_at(syms, addr);
	const struct elf_code_segment *seg;

	if (!sym || sym->addr != addr || sym->size == 0 || sym->file_offset != file_offset)
		return false;
	seg = segment_holding(syms, addr, sym->size);
	return seg && seg->offset + (addr - seg->vaddr) == file_offset;
}
