#include "probe/debug_file.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define DEBUG_ROOT "/usr/lib/debug"

static Elf *open_elf(const char *path, int *fd, int *err)
{
	Elf *elf;

	*err = -ENOEXEC;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		*err = -errno;
		return NULL;
	}
	elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(*fd);
		return NULL;
	}
	return elf;
}

static void close_elf(Elf *elf, int fd)
{
	elf_end(elf);
	close(fd);
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
	Elf *elf = open_elf(path, &fd, &ret);

	if (!elf)
		return ret;
	ret = build_id_in(elf, hex, len);
	close_elf(elf, fd);
	return ret;
}

/* .gnu_debuglink: a NUL-terminated file name, padding to 4 bytes, then the
 * CRC32 of the debug file in the ELF file's byte order. */
struct debuglink {
	char name[256];
	uint32_t crc;
};

static int debuglink_in(Elf *elf, struct debuglink *link)
{
	const unsigned char *p, *nul;
	Elf_Scn *scn = NULL;
	size_t shstrndx, crc_at;
	GElf_Ehdr eh;

	if (elf_getshdrstrndx(elf, &shstrndx) || !gelf_getehdr(elf, &eh))
		return -ENOENT;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".gnu_debuglink") || !(data = elf_getdata(scn, NULL)) ||
		    !data->d_buf || data->d_size < 2)
			continue;
		p = data->d_buf;
		nul = memchr(p, '\0', data->d_size);
		crc_at = nul ? ((size_t)(nul - p) + 4) & ~(size_t)3 : 0;
		if (!nul || nul == p || (size_t)(nul - p) >= sizeof(link->name) ||
		    crc_at + 4 > data->d_size)
			return -ENOENT;
		memcpy(link->name, p, (size_t)(nul - p) + 1);
		p += crc_at;
		link->crc =
		    eh.e_ident[EI_DATA] == ELFDATA2MSB
			? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
			: (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
		return 0;
	}
	return -ENOENT;
}

/* The CRC32 of a whole file, as objcopy --add-gnu-debuglink computes it. */
static int file_crc32(const char *path, uint32_t *crc)
{
	unsigned char buf[1 << 16];
	uLong c = crc32(0L, Z_NULL, 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		c = crc32(c, buf, (uInt)n);
	}
	close(fd);
	*crc = (uint32_t)c;
	return ret;
}

/* The identity of the binary a debug file must match. */
struct binary_identity {
	char build_id[128];
	bool has_build_id;
	struct debuglink link;
	bool has_link;
};

static int read_identity(const char *binary, struct binary_identity *id)
{
	int fd, err;
	Elf *elf = open_elf(binary, &fd, &err);

	memset(id, 0, sizeof(*id));
	if (!elf)
		return err;
	id->has_build_id = build_id_in(elf, id->build_id, sizeof(id->build_id)) == 0;
	id->has_link = debuglink_in(elf, &id->link) == 0;
	close_elf(elf, fd);
	return 0;
}

static int verify_against(const struct binary_identity *id, const char *debug, char *why,
			  size_t whylen)
{
	char build_id[128];
	uint32_t crc;
	int fd, ret;
	Elf *elf = open_elf(debug, &fd, &ret);

	if (!elf) {
		snprintf(why, whylen, "%s", ret == -ENOEXEC ? "not an ELF file" : strerror(-ret));
		return ret;
	}
	ret = build_id_in(elf, build_id, sizeof(build_id));
	close_elf(elf, fd);
	if (id->has_build_id) {
		if (ret == 0 && strcmp(build_id, id->build_id) == 0)
			return 0;
		if (ret)
			snprintf(why, whylen, "it has no build id, the binary's is %s",
				 id->build_id);
		else
			snprintf(why, whylen,
				 "its build id %s is not the binary's %s (a file of another build "
				 "or program)",
				 build_id, id->build_id);
		return -ESTALE;
	}
	if (!id->has_link) {
		snprintf(why, whylen,
			 "the binary has neither a build id nor a .gnu_debuglink CRC to prove "
			 "the file is its own");
		return -ESTALE;
	}
	ret = file_crc32(debug, &crc);
	if (ret) {
		snprintf(why, whylen, "cannot read it: %s", strerror(-ret));
		return ret;
	}
	if (crc == id->link.crc)
		return 0;
	snprintf(why, whylen,
		 "its CRC32 %08x is not the %08x the binary's .gnu_debuglink records (a file of "
		 "another build)",
		 crc, id->link.crc);
	return -ESTALE;
}

int debug_file_verify(const char *binary, const char *debug, char *why, size_t whylen)
{
	struct binary_identity id;
	int ret = read_identity(binary, &id);

	if (ret) {
		snprintf(why, whylen, "cannot read the binary: %s", strerror(-ret));
		return ret;
	}
	return verify_against(&id, debug, why, whylen);
}

int debug_file_contents(const char *path, bool *dwarf, bool *symtab)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, ret;
	Elf *elf = open_elf(path, &fd, &ret);

	*dwarf = *symtab = false;
	if (!elf)
		return ret;
	ret = elf_getshdrstrndx(elf, &shstrndx) ? -ENOEXEC : 0;
	while (!ret && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		*symtab |= sh.sh_type == SHT_SYMTAB;
		*dwarf |= sh.sh_type != SHT_NOBITS && name && strcmp(name, ".debug_info") == 0;
	}
	close_elf(elf, fd);
	return ret;
}

/* Candidates in gdb's order; the first that is the binary's wins, and the
 * first that is not is reported if none is. */
struct search {
	const struct binary_identity *id;
	char *out;
	size_t len;
	char *why;
	size_t whylen;
	bool stale_seen;
};

static bool try_candidate(struct search *s, const char *path)
{
	char why[512];
	int ret;

	if (access(path, R_OK))
		return false;
	ret = verify_against(s->id, path, why, sizeof(why));
	if (ret == 0) {
		snprintf(s->out, s->len, "%s", path);
		return true;
	}
	if (!s->stale_seen) {
		snprintf(s->out, s->len, "%s", path);
		snprintf(s->why, s->whylen, "%s", why);
		s->stale_seen = true;
	}
	return false;
}

/* The places gdb looks at for a debuglink name. */
static bool find_by_debuglink(struct search *s, const char *link, const char *exe_path)
{
	char dir[4096], path[8192];
	const char *slash = strrchr(exe_path, '/');

	if (strchr(link, '/'))
		return false; /* a bare file name, never a path */
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - exe_path) : 1,
		 slash ? exe_path : ".");
	snprintf(path, sizeof(path), "%s/%s", dir, link);
	if (strcmp(path, exe_path) && try_candidate(s, path))
		return true;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, link);
	if (try_candidate(s, path))
		return true;
	snprintf(path, sizeof(path), DEBUG_ROOT "%s/%s", dir, link);
	return try_candidate(s, path);
}

int debug_file_find(const char *binary, const char *exe_path, char *out, size_t len, char *why,
		    size_t whylen)
{
	struct binary_identity id;
	struct search s = {&id, out, len, why, whylen, false};
	char path[4096];

	if (read_identity(binary, &id))
		return -ENOENT;
	if (id.has_build_id && strlen(id.build_id) > 2) {
		snprintf(path, sizeof(path), DEBUG_ROOT "/.build-id/%.2s/%s.debug", id.build_id,
			 id.build_id + 2);
		if (try_candidate(&s, path))
			return 0;
	}
	if (id.has_link && find_by_debuglink(&s, id.link.name, exe_path))
		return 0;
	return s.stale_seen ? -ESTALE : -ENOENT;
}
