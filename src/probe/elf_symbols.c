#include "probe/elf_symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct segments {
	struct elf_code_segment *seg;
	size_t count;
};

static int read_exec_segments(Elf *elf, struct segments *out)
{
	size_t i, phnum;

	if (elf_getphdrnum(elf, &phnum))
		return -ENOEXEC;
	out->seg = calloc(phnum ? phnum : 1, sizeof(*out->seg));
	if (!out->seg)
		return -ENOMEM;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			return -ENOEXEC;
		if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		out->seg[out->count++] =
		    (struct elf_code_segment){ph.p_vaddr, ph.p_filesz, ph.p_offset};
	}
	return 0;
}

/* uprobes take offsets into the file, not virtual addresses; code the file
 * does not hold (past p_filesz) has none. */
static bool vaddr_to_offset(const struct segments *segs, uint64_t vaddr, uint64_t *offset)
{
	size_t i;

	for (i = 0; i < segs->count; i++) {
		const struct elf_code_segment *s = &segs->seg[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*offset = vaddr - s->vaddr + s->offset;
			return true;
		}
	}
	return false;
}

static Elf_Scn *find_section(Elf *elf, Elf64_Word type, const char *name, size_t shstrndx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if ((type && sh.sh_type == type) || (name && sname && strcmp(sname, name) == 0))
			return scn;
	}
	return NULL;
}

static int append_functions(Elf *elf, Elf_Scn *scn, const struct segments *segs,
			    struct elf_symbols *out)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	size_t i, n;

	if (!data || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return -ENOEXEC;
	n = sh.sh_size / sh.sh_entsize;
	out->syms = calloc(n ? n : 1, sizeof(*out->syms));
	if (!out->syms)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct elf_symbol *s = &out->syms[out->count];
		const char *name;
		GElf_Sym sym;

		if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name || !*name || !vaddr_to_offset(segs, sym.st_value, &s->file_offset))
			continue;
		s->name = strdup(name);
		if (!s->name)
			return -ENOMEM;
		s->addr = sym.st_value;
		s->size = sym.st_size;
		out->count++;
	}
	return 0;
}

/* By address; at one address the sized symbol first, so that a label of
 * size 0 never hides the function it marks. */
static int by_addr(const void *a, const void *b)
{
	const struct elf_symbol *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Aliases (identical code folded) share an address; one probe per address. */
static void drop_aliases(struct elf_symbols *out)
{
	size_t i, kept = 0;

	if (out->count == 0)
		return; /* syms may be NULL: no symbol table at all */
	qsort(out->syms, out->count, sizeof(*out->syms), by_addr);
	for (i = 0; i < out->count; i++) {
		if (kept && out->syms[kept - 1].addr == out->syms[i].addr) {
			free(out->syms[i].name);
			continue;
		}
		out->syms[kept++] = out->syms[i];
	}
	out->count = kept;
}

/* rustc writes "rustc version X" into .comment, which strip keeps: it tells a
 * stripped Rust binary from one that is not Rust at all. */
static bool comment_names_rustc(Elf_Scn *comment)
{
	Elf_Data *data = comment ? elf_getdata(comment, NULL) : NULL;
	const char *p, *end;

	if (!data || !data->d_buf)
		return false;
	p = data->d_buf;
	end = p + data->d_size;
	for (; p < end; p += strnlen(p, end - p) + 1)
		if ((size_t)(end - p) > 6 && strncmp(p, "rustc ", 6) == 0)
			return true;
	return false;
}

/* The executable segments of the file the probes go on: a separate debug
 * file keeps the program headers, but not the file offsets they map to. */
static int read_code_segments(const char *path, struct segments *segs)
{
	Elf *elf;
	int fd, err = -ENOEXEC;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		err = read_exec_segments(elf, segs);
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

int elf_symbols_read(const char *path, struct elf_symbols *out)
{
	return elf_symbols_read_from(path, path, out);
}

int elf_symbols_read_from(const char *path, const char *code_path, struct elf_symbols *out)
{
	struct segments segs = {0};
	Elf_Scn *symtab;
	Elf *elf = NULL;
	size_t shstrndx;
	int fd, err;

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = -ENOEXEC;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx))
		goto cleanup;
	err = strcmp(path, code_path) ? read_code_segments(code_path, &segs)
				      : read_exec_segments(elf, &segs);
	if (err)
		goto cleanup;
	symtab = find_section(elf, SHT_SYMTAB, NULL, shstrndx);
	out->has_symtab = symtab != NULL;
	out->has_debug_info = find_section(elf, 0, ".debug_info", shstrndx) != NULL;
	out->built_by_rustc = comment_names_rustc(find_section(elf, 0, ".comment", shstrndx));
	if (!symtab)
		symtab = find_section(elf, SHT_DYNSYM, NULL, shstrndx);
	err = symtab ? append_functions(elf, symtab, &segs, out) : 0;
	if (!err)
		drop_aliases(out);
	out->code = segs.seg; /* kept: the placement of every probe is checked on them */
	out->code_count = segs.count;
	segs.seg = NULL;
cleanup:
	free(segs.seg);
	if (elf)
		elf_end(elf);
	close(fd);
	if (err)
		elf_symbols_free(out);
	return err;
}

void elf_symbols_free(struct elf_symbols *syms)
{
	size_t i;

	for (i = 0; i < syms->count; i++)
		free(syms->syms[i].name);
	free(syms->syms);
	free(syms->code);
	memset(syms, 0, sizeof(*syms));
}
