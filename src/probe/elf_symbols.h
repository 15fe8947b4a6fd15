/* Function symbols of an ELF executable, with the file offsets uprobes need. */
#ifndef CATTOP_ELF_SYMBOLS_H
#define CATTOP_ELF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_symbol {
	char *name;    /* mangled */
	uint64_t addr; /* link-time virtual address (st_value) */
	uint64_t size;
	uint64_t file_offset; /* where uprobes want it */
};

/* An executable PT_LOAD segment of the file the probes go on: the part of
 * it the file holds (p_filesz), and where in the file that is. */
struct elf_code_segment {
	uint64_t vaddr, filesz, offset;
};

struct elf_symbols {
	struct elf_symbol *syms; /* sorted by addr, one per address */
	size_t count;
	/* Always the probed binary's, even when the symbols come from a
	 * separate debug file: file offsets are the binary's to say. */
	struct elf_code_segment *code;
	size_t code_count;
	bool has_symtab;     /* false: stripped, only .dynsym was there */
	bool has_debug_info; /* a .debug_info section is present */
	bool built_by_rustc; /* .comment names rustc: survives strip */
};

/* Returns 0, -ENOENT/-EACCES (cannot open), -ENOEXEC (not an ELF file or
 * malformed), -ENOMEM. */
int elf_symbols_read(const char *path, struct elf_symbols *out);
/* The symbols of path (a separate debug file) with the file offsets of
 * code_path, the binary they describe. */
int elf_symbols_read_from(const char *path, const char *code_path, struct elf_symbols *out);
void elf_symbols_free(struct elf_symbols *syms);

#endif
