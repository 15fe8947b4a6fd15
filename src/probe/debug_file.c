#include "probe/debug_file.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEBUG_ROOT "/usr/lib/debug"

static Elf *open_elf(const char *path, int *fd)
{
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(*fd);
		return NULL;
	}
	return elf;
}

static int build_id_in(Elf *elf, char *hex, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *data;
		size_t off = 0, name_off, desc_off, i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const unsigned char *desc = (const unsigned char *)data->d_buf + desc_off;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || nh.n_descsz == 0 ||
			    nh.n_descsz * 2 + 1 > len)
				continue;
			for (i = 0; i < nh.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", desc[i]);
			return 0;
		}
	}
	return -ENOENT;
}

int elf_build_id(const char *path, char *hex, size_t len)
{
	int fd, ret;
	Elf *elf = open_elf(path, &fd);

	if (!elf)
		return -ENOEXEC;
	ret = build_id_in(elf, hex, len);
	elf_end(elf);
	close(fd);
	return ret;
}

static const char *debuglink_in(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".gnu_debuglink"))
			continue;
		data = elf_getdata(scn, NULL);
		/* A NUL-terminated file name, then padding and a CRC. */
		if (data && data->d_size > 1 && memchr(data->d_buf, '\0', data->d_size))
			return data->d_buf;
	}
	return NULL;
}

static int usable(const char *path, char *out, size_t len)
{
	if (access(path, R_OK))
		return -ENOENT;
	snprintf(out, len, "%s", path);
	return 0;
}

/* The places gdb looks at for a debuglink name. */
static int find_by_debuglink(const char *link, const char *exe_path, char *out, size_t len)
{
	char dir[4096], path[8192];
	const char *slash = strrchr(exe_path, '/');

	if (strchr(link, '/'))
		return -ENOENT; /* a bare file name, never a path */
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - exe_path) : 1,
		 slash ? exe_path : ".");
	snprintf(path, sizeof(path), "%s/%s", dir, link);
	if (strcmp(path, exe_path) && usable(path, out, len) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, link);
	if (usable(path, out, len) == 0)
		return 0;
	snprintf(path, sizeof(path), DEBUG_ROOT "%s/%s", dir, link);
	return usable(path, out, len);
}

int debug_file_find(const char *binary, const char *exe_path, char *out, size_t len)
{
	char id[128], path[4096];
	const char *link;
	int fd, ret = -ENOENT;
	Elf *elf = open_elf(binary, &fd);

	if (!elf)
		return -ENOENT;
	if (build_id_in(elf, id, sizeof(id)) == 0 && strlen(id) > 2) {
		snprintf(path, sizeof(path), DEBUG_ROOT "/.build-id/%.2s/%s.debug", id, id + 2);
		ret = usable(path, out, len);
	}
	link = ret ? debuglink_in(elf) : NULL;
	if (link)
		ret = find_by_debuglink(link, exe_path, out, len);
	elf_end(elf);
	close(fd);
	return ret;
}
