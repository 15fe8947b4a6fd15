#include "taskwalk/tls_symbol.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* glibc's _dl_determine_tlsoffset for the first module (the executable):
 * the block ends at the thread pointer, aligned, and keeps the segment's
 * misalignment (firstbyte) so each variable is where the linker put it. */
static uint64_t block_below(const GElf_Phdr *tls)
{
	uint64_t align = tls->p_align ? tls->p_align : 1;
	uint64_t firstbyte = (-(tls->p_vaddr & (align - 1))) & (align - 1);
	uint64_t size = tls->p_memsz - firstbyte;

	return ((size + align - 1) / align) * align + firstbyte;
}

static int find_tls_segment(Elf *elf, GElf_Phdr *out)
{
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (i = 0; i < n; i++)
		if (gelf_getphdr(elf, (int)i, out) && out->p_type == PT_TLS)
			return 0;
	return -ENOENT;
}

static int find_symbol(Elf *elf, const char *needle, struct tls_symbol *out)
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
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_TLS)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !strstr(name, needle))
				continue;
			out->name = strdup(name);
			out->offset = sym.st_value;
			return out->name ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

int tls_symbol_find(const char *elf_path, const char *needle, struct tls_symbol *out)
{
	GElf_Phdr tls;
	Elf *elf = NULL;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	elf_version(EV_CURRENT);
	fd = open(elf_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ret = -ENOEXEC;
	if (!elf)
		goto cleanup;
	ret = find_tls_segment(elf, &tls);
	if (ret)
		goto cleanup;
	out->block_below = block_below(&tls);
	ret = find_symbol(elf, needle, out);
cleanup:
	elf_end(elf);
	close(fd);
	return ret;
}

void tls_symbol_free(struct tls_symbol *s)
{
	free(s->name);
	s->name = NULL;
}
