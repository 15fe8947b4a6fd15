#include "probe/caller_sites.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/caller_line.h"
#include "probe/elf_symbols.h"
#include "util/u64_map.h"

/* What the code and data say of one function the index was asked about. */
struct target_refs {
	uint64_t calls[CALLERS_MAX]; /* addresses of the `call rel32` to it */
	size_t count;
	bool referenced; /* its address appears anywhere else */
	bool too_many;
};

struct caller_index {
	struct caller_line line; /* the file, its decoder, its segments */
	Elf *elf;
	struct u64_map at;     /* target address -> index in refs + 1 */
	struct u64_map probed; /* caller_line.probed */
	struct target_refs *refs;
};

const char *caller_problem_str(enum caller_problem p)
{
	switch (p) {
	case CALLER_OK:
		return "ok";
	case CALLER_NOT_CALLED:
		return "no direct call to it";
	case CALLER_REFERENCED:
		return "its address is taken";
	case CALLER_NOT_STRAIGHT:
		return "a call is not followed by straight-line code and a jump";
	case CALLER_BRANCHED_INTO:
		return "a branch may land after a call, before its jump";
	case CALLER_SHARED_END:
		return "a call is a probed function's first instruction, or the line ends at its "
		       "ret";
	case CALLER_TOO_MANY:
		return "too many calls";
	case CALLER_UNDECODABLE:
		return "a caller's code could not be decoded";
	}
	return "?";
}

static struct target_refs *refs_of(const struct caller_index *ix, uint64_t addr)
{
	uintptr_t i1 = (uintptr_t)u64_map_get(&ix->at, addr);

	return i1 ? &ix->refs[i1 - 1] : NULL;
}

static void note_reference(struct caller_index *ix, uint64_t value)
{
	struct target_refs *r = refs_of(ix, value);

	if (r)
		r->referenced = true;
}

static int read_segments(struct caller_index *ix)
{
	size_t i, n;

	if (elf_getphdrnum(ix->elf, &n))
		return -ENOEXEC;
	ix->line.segs = calloc(n + 1, sizeof(*ix->line.segs));
	if (!ix->line.segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(ix->elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			ix->line.segs[ix->line.nsegs++] =
			    (struct load_segment){ph.p_vaddr, ph.p_filesz, ph.p_offset};
	}
	return 0;
}

static bool is_direct_call(const cs_insn *insn)
{
	return insn->id == X86_INS_CALL && insn->size == 5 && insn->bytes[0] == 0xe8;
}

static void index_named(void *ctx, uint64_t addr, const cs_insn *insn)
{
	struct caller_index *ix = ctx;
	struct target_refs *r = refs_of(ix, addr);

	if (!r)
		return;
	if (!is_direct_call(insn))
		r->referenced = true;
	else if (r->count == CALLERS_MAX)
		r->too_many = true;
	else
		r->calls[r->count++] = insn->address;
}

/* The first function symbol starting above addr, or UINT64_MAX. */
static uint64_t next_function(const struct elf_symbols *syms, uint64_t addr)
{
	size_t lo = 0, hi = syms->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (syms->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < syms->count ? syms->syms[lo].addr : UINT64_MAX;
}

/* Every instruction of an executable section, in a linear sweep that starts
 * again at each function symbol (data or padding before it cannot leave
 * the decoding out of step there): a byte that does not decode is stepped
 * over, so a reference after it is still seen (a stray one only makes a
 * function keep its own probes). */
static void scan_code(struct caller_index *ix, const uint8_t *bytes, size_t size, uint64_t addr)
{
	uint64_t next = next_function(ix->line.syms, addr);

	while (size) {
		const uint8_t *p = bytes;
		size_t left = size;
		uint64_t pc = addr;

		if (next <= addr)
			next = next_function(ix->line.syms, addr);
		if (!cs_disasm_iter(ix->line.cs, &p, &left, &pc, ix->line.insn))
			p = bytes + 1, left = size - 1, pc = addr + 1;
		else if (pc <= next)
			insn_named_addresses(ix->line.insn, index_named, ix);
		else if (next - addr < size) /* across a function's start: from there */
			p = bytes + (next - addr), left = size - (next - addr), pc = next;
		bytes = p;
		size = left;
		addr = pc;
	}
}

/* An absolute pointer anywhere in the data (any alignment: the safe side). */
static void scan_data(struct caller_index *ix, const uint8_t *bytes, size_t size)
{
	size_t k;

	for (k = 0; k + 8 <= size; k++) {
		uint64_t v;

		memcpy(&v, bytes + k, sizeof(v));
		note_reference(ix, v);
	}
}

/* A relocation that puts the address in data (R_X86_64_RELATIVE's addend,
 * a symbol's value), or a symbol exported for other objects to call. */
static void scan_relocations(struct caller_index *ix, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	Elf_Data *symdata = NULL;
	Elf_Scn *symscn = sh->sh_link ? elf_getscn(ix->elf, sh->sh_link) : NULL;
	size_t i, n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	if (symscn)
		symdata = elf_getdata(symscn, NULL);
	for (i = 0; data && i < n; i++) {
		GElf_Rela r;
		GElf_Sym sym;

		if (!gelf_getrela(data, (int)i, &r))
			break;
		note_reference(ix, (uint64_t)r.r_addend);
		if (symdata && GELF_R_SYM(r.r_info) &&
		    gelf_getsym(symdata, (int)GELF_R_SYM(r.r_info), &sym))
			note_reference(ix, sym.st_value);
	}
}

static void scan_dynamic_symbols(struct caller_index *ix, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (i = 0; data && i < n; i++) {
		GElf_Sym sym;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		if (sym.st_shndx != SHN_UNDEF)
			note_reference(ix, sym.st_value);
	}
}

static bool holds_data(const GElf_Shdr *sh)
{
	return (sh->sh_flags & SHF_ALLOC) && !(sh->sh_flags & SHF_EXECINSTR) &&
	       (sh->sh_type == SHT_PROGBITS || sh->sh_type == SHT_INIT_ARRAY ||
		sh->sh_type == SHT_FINI_ARRAY || sh->sh_type == SHT_PREINIT_ARRAY);
}

static int scan_sections(struct caller_index *ix)
{
	Elf_Scn *scn = NULL;
	int sections = 0;

	while ((scn = elf_nextscn(ix->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh))
			return -ENOEXEC;
		sections++;
		if (sh.sh_type == SHT_RELA) {
			scan_relocations(ix, scn, &sh);
		} else if (sh.sh_type == SHT_DYNSYM) {
			scan_dynamic_symbols(ix, scn, &sh);
		} else if ((sh.sh_flags & SHF_ALLOC) && sh.sh_type == SHT_PROGBITS &&
			   (sh.sh_flags & SHF_EXECINSTR)) {
			data = elf_getdata(scn, NULL);
			if (data && data->d_buf)
				scan_code(ix, data->d_buf, data->d_size, sh.sh_addr);
		} else if (holds_data(&sh)) {
			data = elf_getdata(scn, NULL);
			if (data && data->d_buf)
				scan_data(ix, data->d_buf, data->d_size);
		}
	}
	return sections ? 0 : -ENOEXEC; /* no section headers: nothing is known */
}

static int index_targets(struct caller_index *ix, const uint64_t *targets, size_t n)
{
	size_t i;

	ix->refs = calloc(n + 1, sizeof(*ix->refs));
	if (!ix->refs)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!u64_map_get(&ix->at, targets[i]) &&
		    u64_map_put(&ix->at, targets[i], (void *)(uintptr_t)(i + 1)))
			return -ENOMEM;
	return 0;
}

static int index_probed(struct caller_index *ix, const uint64_t *probed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (u64_map_put(&ix->probed, probed[i], (void *)1))
			return -ENOMEM;
	ix->line.probed = &ix->probed;
	return 0;
}

int caller_index_build(struct caller_index **out, const char *binary,
		       const struct elf_symbols *syms, const uint64_t *targets, size_t n,
		       const uint64_t *probed, size_t nprobed)
{
	struct caller_index *ix = calloc(1, sizeof(*ix));
	int err = -ENOEXEC;

	*out = NULL;
	if (!ix)
		return -ENOMEM;
	ix->line.syms = syms;
	ix->line.fd = open(binary, O_RDONLY | O_CLOEXEC);
	if (ix->line.fd < 0) {
		err = -errno;
		goto fail;
	}
	elf_version(EV_CURRENT);
	ix->elf = elf_begin(ix->line.fd, ELF_C_READ, NULL);
	if (!ix->elf || elf_kind(ix->elf) != ELF_K_ELF)
		goto fail;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &ix->line.cs) != CS_ERR_OK) {
		err = -ENOMEM;
		goto fail;
	}
	cs_option(ix->line.cs, CS_OPT_DETAIL, CS_OPT_ON);
	ix->line.insn = cs_malloc(ix->line.cs);
	err = ix->line.insn ? read_segments(ix) : -ENOMEM;
	if (!err)
		err = index_targets(ix, targets, n);
	if (!err)
		err = index_probed(ix, probed, nprobed);
	if (!err)
		err = scan_sections(ix);
	if (err)
		goto fail;
	*out = ix;
	return 0;
fail:
	caller_index_free(ix);
	return err;
}

void caller_index_free(struct caller_index *ix)
{
	if (!ix)
		return;
	if (ix->line.insn)
		cs_free(ix->line.insn, 1);
	if (ix->line.cs)
		cs_close(&ix->line.cs);
	if (ix->elf)
		elf_end(ix->elf);
	if (ix->line.fd >= 0)
		close(ix->line.fd);
	u64_map_free(&ix->at);
	u64_map_free(&ix->probed);
	free(ix->refs);
	free(ix->line.segs);
	caller_line_release(&ix->line);
	free(ix);
}

bool caller_index_covers(const struct caller_index *ix, uint64_t target)
{
	return refs_of(ix, target) != NULL;
}

enum caller_problem caller_index_find(struct caller_index *ix, uint64_t target,
				      struct caller_list *out)
{
	const struct target_refs *r = refs_of(ix, target);
	enum caller_problem p = CALLER_OK;
	size_t i;

	out->count = 0;
	if (r && r->referenced)
		return CALLER_REFERENCED; /* the likelier way in, when both */
	if (!r || !r->count)
		return CALLER_NOT_CALLED;
	if (r->too_many)
		return CALLER_TOO_MANY;
	for (i = 0; i < r->count && p == CALLER_OK; i++)
		p = caller_line_check(&ix->line, r->calls[i], &out->probes[out->count++]);
	if (p != CALLER_OK)
		out->count = 0;
	return p;
}
