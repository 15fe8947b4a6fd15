#include "probe/target_memory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "probe/elf_symbols.h"

int target_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* A symbol whose code lies in the file range [off, off + len). */
static const struct elf_symbol *symbol_in(const struct elf_symbols *syms, uint64_t off,
					  uint64_t len)
{
	size_t i;

	for (i = 0; i < syms->count; i++)
		if (syms->syms[i].file_offset >= off && syms->syms[i].file_offset < off + len &&
		    syms->syms[i].size)
			return &syms->syms[i];
	return NULL;
}

int target_code_bias(pid_t pid, const char *exe, const struct elf_symbols *syms, int64_t *bias)
{
	char path[64], line[4096 + 128];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		uint64_t start, end, off;
		char perms[8];
		int name_at = 0;
		const struct elf_symbol *sym;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &start, &end,
			   perms, &off, &name_at) < 4 ||
		    !name_at || perms[2] != 'x')
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line + name_at, exe) != 0)
			continue;
		sym = symbol_in(syms, off, end - start);
		if (sym) {
			*bias = (int64_t)(start + (sym->file_offset - off) - sym->addr);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}
