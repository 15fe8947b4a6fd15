#include "probe/exit_sites.h"

#include <capstone/capstone.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/elf_symbols.h"
#include "probe/stack_scan.h" /* symbol_at */

#define MAX_TAIL_DEPTH	   4	     /* f jmp g jmp h ...: enough for wrappers */
#define MAX_FUNCTIONS	   16	     /* functions walked for one site */
#define MAX_FUNCTION_BYTES (1 << 20) /* a symbol size beyond this is not code */
#define DWARF_REG_RSP	   7

struct exec_segment {
	uint64_t vaddr, size, offset;
};

struct exit_finder {
	int fd;
	Elf *elf;
	Dwarf_CFI *cfi;
	csh cs;
	const struct elf_symbols *syms;
	struct exec_segment *segs;
	size_t nsegs;
	uint8_t *code; /* one function's bytes */
	size_t code_cap;
	bool unwinds;
};

/* One function to walk: a site's own, or a tail callee of it. */
struct walk {
	uint64_t addr[MAX_FUNCTIONS], size[MAX_FUNCTIONS];
	unsigned int depth[MAX_FUNCTIONS];
	size_t count;
};

const char *exit_problem_str(enum exit_problem p)
{
	switch (p) {
	case EXIT_OK:
		return "ok";
	case EXIT_UNDECODABLE:
		return "its code could not be decoded";
	case EXIT_INDIRECT_TAIL:
		return "it leaves by an indirect or unknown tail call";
	case EXIT_NO_CFI:
		return "no call frame information covers it";
	case EXIT_TOO_MANY:
		return "too many exits";
	}
	return "?";
}

/* Any symbol (defined or imported) of the unwinder's raise entry. */
static bool refers_to_unwinder(Elf *elf)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data = elf_getdata(scn, NULL);
		GElf_Shdr sh;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize ||
		    !data)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym))
				break;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && strcmp(name, "_Unwind_RaiseException") == 0)
				return true;
		}
	}
	return false;
}

bool exit_finder_binary_unwinds(const struct exit_finder *f)
{
	return f->unwinds;
}

static int read_segments(struct exit_finder *f)
{
	size_t i, n;

	if (elf_getphdrnum(f->elf, &n))
		return -ENOEXEC;
	f->segs = calloc(n + 1, sizeof(*f->segs));
	if (!f->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X))
			continue;
		f->segs[f->nsegs++] = (struct exec_segment){ph.p_vaddr, ph.p_filesz, ph.p_offset};
	}
	return f->nsegs ? 0 : -ENOEXEC;
}

int exit_finder_open(struct exit_finder **out, const char *binary, const struct elf_symbols *syms)
{
	struct exit_finder *f = calloc(1, sizeof(*f));
	int err = -ENOEXEC;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	f->syms = syms;
	f->fd = open(binary, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		err = -errno;
		goto fail;
	}
	elf_version(EV_CURRENT);
	f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF)
		goto fail;
	err = read_segments(f);
	if (err)
		goto fail;
	f->cfi = dwarf_getcfi_elf(f->elf); /* NULL: tail calls cannot be told */
	f->unwinds = refers_to_unwinder(f->elf);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &f->cs) != CS_ERR_OK) {
		err = -ENOMEM;
		goto fail;
	}
	cs_option(f->cs, CS_OPT_DETAIL, CS_OPT_ON);
	*out = f;
	return 0;
fail:
	exit_finder_close(f);
	return err;
}

void exit_finder_close(struct exit_finder *f)
{
	if (!f)
		return;
	if (f->cs)
		cs_close(&f->cs);
	if (f->cfi)
		dwarf_cfi_end(f->cfi);
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	free(f->segs);
	free(f->code);
	free(f);
}

/* The file offset of [addr, addr + len) if it lies in one executable
 * segment, else -1. */
static int64_t code_offset(const struct exit_finder *f, uint64_t addr, uint64_t len)
{
	size_t i;

	for (i = 0; i < f->nsegs; i++) {
		const struct exec_segment *s = &f->segs[i];

		if (addr >= s->vaddr && len <= s->size && addr - s->vaddr <= s->size - len)
			return (int64_t)(addr - s->vaddr + s->offset);
	}
	return -1;
}

/* 1 if the frame is torn down at addr (the return address is on top of the
 * stack: CFA = rsp + 8), 0 if not, -1 if the CFI does not say. */
static int frame_torn_down(const struct exit_finder *f, uint64_t addr)
{
	Dwarf_Frame *frame = NULL;
	Dwarf_Op *ops;
	size_t nops;
	int torn = -1;

	if (!f->cfi || dwarf_cfi_addrframe(f->cfi, addr, &frame) != 0)
		return -1;
	if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_bregx)
		torn = ops[0].number == DWARF_REG_RSP && ops[0].number2 == 8;
	free(frame);
	return torn;
}

static bool add_function(struct walk *w, uint64_t addr, uint64_t size, unsigned int depth)
{
	size_t i;

	for (i = 0; i < w->count; i++)
		if (w->addr[i] == addr)
			return true; /* its exits are in already */
	if (w->count == MAX_FUNCTIONS || depth > MAX_TAIL_DEPTH)
		return false;
	w->addr[w->count] = addr;
	w->size[w->count] = size;
	w->depth[w->count++] = depth;
	return true;
}

/* A jump to target leaves the function [lo, hi): a tail call, whose callee's
 * exits are the function's own. */
static enum exit_problem follow_tail_call(struct exit_finder *f, struct walk *w,
					  const cs_insn *insn, uint64_t target, unsigned int depth)
{
	const struct elf_symbol *callee = symbol_at(f->syms, target);

	if (frame_torn_down(f, insn->address) != 1 || !callee || callee->addr != target)
		return EXIT_INDIRECT_TAIL;
	return add_function(w, callee->addr, callee->size, depth + 1) ? EXIT_OK : EXIT_TOO_MANY;
}

static enum exit_problem on_jump(struct exit_finder *f, struct walk *w, const cs_insn *insn,
				 uint64_t lo, uint64_t hi, unsigned int depth)
{
	const cs_x86 *x = &insn->detail->x86;

	if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
		uint64_t target = (uint64_t)x->operands[0].imm;

		if (target >= lo && target < hi)
			return EXIT_OK; /* a branch inside the function */
		return follow_tail_call(f, w, insn, target, depth);
	}
	/* Through a register or memory: a jump table if the frame is still
	 * there, a tail call if not. A frameless function's jump table looks
	 * like a tail call: counted unknown, the safe side. */
	switch (frame_torn_down(f, insn->address)) {
	case 0:
		return EXIT_OK;
	case 1:
		return EXIT_INDIRECT_TAIL;
	default:
		return EXIT_NO_CFI;
	}
}

static bool add_exit(struct exit_list *out, uint64_t offset, bool own)
{
	size_t i;

	for (i = 0; i < out->count; i++)
		if (out->offsets[i] == offset)
			return true;
	if (out->count == EXITS_MAX)
		return false;
	out->offsets[out->count] = offset;
	out->own[out->count++] = own;
	return true;
}

static uint8_t *function_code(struct exit_finder *f, uint64_t addr, uint64_t size, int64_t *offset)
{
	*offset = code_offset(f, addr, size);
	if (*offset < 0 || !size || size > MAX_FUNCTION_BYTES)
		return NULL;
	if (size > f->code_cap) {
		uint8_t *grown = realloc(f->code, size);

		if (!grown)
			return NULL;
		f->code = grown;
		f->code_cap = size;
	}
	if (pread(f->fd, f->code, size, *offset) != (ssize_t)size)
		return NULL;
	return f->code;
}

static enum exit_problem walk_function(struct exit_finder *f, struct walk *w, size_t i,
				       struct exit_list *out)
{
	uint64_t lo = w->addr[i], hi = lo + w->size[i], pc = lo;
	size_t left = w->size[i];
	int64_t offset;
	const uint8_t *code = function_code(f, lo, w->size[i], &offset);
	enum exit_problem p = EXIT_OK;
	cs_insn *insn;

	if (!code)
		return EXIT_UNDECODABLE;
	insn = cs_malloc(f->cs);
	if (!insn)
		return EXIT_UNDECODABLE;
	while (left && p == EXIT_OK) {
		uint64_t at = pc;

		if (!cs_disasm_iter(f->cs, &code, &left, &pc, insn)) {
			p = EXIT_UNDECODABLE;
			break;
		}
		if (cs_insn_group(f->cs, insn, CS_GRP_RET)) {
			if (insn->id != X86_INS_RET ||
			    !add_exit(out, at - lo + (uint64_t)offset, i == 0))
				p = insn->id != X86_INS_RET ? EXIT_UNDECODABLE : EXIT_TOO_MANY;
		} else if (cs_insn_group(f->cs, insn, CS_GRP_JUMP)) {
			p = on_jump(f, w, insn, lo, hi, w->depth[i]);
		}
	}
	cs_free(insn, 1);
	return p;
}

enum exit_problem exit_finder_check_code(struct exit_finder *f, uint64_t addr, uint64_t size)
{
	int64_t offset;
	const uint8_t *code = function_code(f, addr, size, &offset);
	size_t left = size;
	uint64_t pc = addr;
	bool whole = code != NULL;
	cs_insn *insn = code ? cs_malloc(f->cs) : NULL;

	while (insn && left && whole)
		whole = cs_disasm_iter(f->cs, &code, &left, &pc, insn);
	if (insn)
		cs_free(insn, 1);
	return insn && whole ? EXIT_OK : EXIT_UNDECODABLE;
}

enum exit_problem exit_finder_find(struct exit_finder *f, uint64_t addr, uint64_t size,
				   struct exit_list *out)
{
	struct walk w = {.count = 0};
	enum exit_problem p = EXIT_OK;
	size_t i;

	out->count = 0;
	add_function(&w, addr, size, 0);
	for (i = 0; i < w.count && p == EXIT_OK; i++)
		p = walk_function(f, &w, i, out);
	if (p == EXIT_OK && !out->count)
		p = EXIT_INDIRECT_TAIL; /* never returns by itself: nothing to time */
	return p;
}
