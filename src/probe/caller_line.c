#include "probe/caller_line.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/elf_symbols.h"
#include "probe/stack_scan.h" /* symbol_at */

#define STRAIGHT_MAX	   32	     /* instructions from a return address to its end */
#define TABLE_MAX	   4096	     /* entries read of one jump table */
#define MAX_FUNCTION_BYTES (1 << 20) /* a symbol size beyond this is not code */

/* The file offset of [addr, addr + len) if the file holds it, else -1. */
static int64_t file_offset_of(const struct caller_line *cl, uint64_t addr, uint64_t len)
{
	size_t i;

	for (i = 0; i < cl->nsegs; i++) {
		const struct load_segment *s = &cl->segs[i];

		if (addr >= s->vaddr && len <= s->filesz && addr - s->vaddr <= s->filesz - len)
			return (int64_t)(addr - s->vaddr + s->offset);
	}
	return -1;
}

void insn_named_addresses(const cs_insn *insn, void (*fn)(void *, uint64_t, const cs_insn *),
			  void *ctx)
{
	const cs_x86 *x = &insn->detail->x86;
	uint8_t k;

	for (k = 0; k < x->op_count; k++) {
		const cs_x86_op *op = &x->operands[k];

		if (op->type == X86_OP_IMM)
			fn(ctx, (uint64_t)op->imm, insn);
		else if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP)
			fn(ctx, insn->address + insn->size + (uint64_t)op->mem.disp, insn);
		else if (op->type == X86_OP_MEM && op->mem.base == X86_REG_INVALID &&
			 op->mem.index == X86_REG_INVALID)
			fn(ctx, (uint64_t)op->mem.disp, insn);
	}
}

static int add_landing(struct caller_landing *l, uint64_t addr)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		uint64_t *grown = realloc(l->addrs, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		l->addrs = grown;
		l->cap = cap;
	}
	l->addrs[l->count++] = addr;
	return 0;
}

struct caller_fn {
	struct caller_line *cl;
	uint64_t lo, hi; /* the caller's code: [lo, hi) */
	bool tabled;	 /* a jump table was read */
	int err;
};

/* The entries of a table at base while they land in the caller: the jump
 * table's own, and maybe some bytes after it (more places, the safe side).
 * Returns how many, or -ENOMEM. */
static int read_table(struct caller_fn *c, uint64_t base, bool absolute)
{
	struct caller_line *cl = c->cl;
	size_t width = absolute ? 8 : 4, k;
	uint8_t buf[TABLE_MAX * 4];
	int64_t off = file_offset_of(cl, base, width);
	ssize_t got;

	if (off < 0)
		return 0;
	got = pread(cl->fd, buf, sizeof(buf), off);
	for (k = 0; got > 0 && (k + 1) * width <= (size_t)got; k++) {
		uint64_t target;
		int32_t rel;

		if (absolute) {
			memcpy(&target, buf + k * width, sizeof(target));
		} else {
			memcpy(&rel, buf + k * width, sizeof(rel));
			target = base + (uint64_t)(int64_t)rel;
		}
		if (target < c->lo || target >= c->hi)
			break;
		if (add_landing(&cl->land, target))
			return -ENOMEM;
	}
	return (int)k;
}

/* An address the caller's code names: a branch target or its own code (a
 * computed jump may go there) if inside it; outside, what `lea
 * table(%rip)` loads may be a jump table of 32-bit offsets from it (PIC),
 * and `jmp *table(,%reg,8)` jumps through one of addresses. */
static void caller_named(void *ctx, uint64_t addr, const cs_insn *insn)
{
	struct caller_fn *c = ctx;
	const cs_x86 *x = &insn->detail->x86;
	bool absolute = insn->id == X86_INS_JMP && x->op_count == 1 &&
			x->operands[0].type == X86_OP_MEM && x->operands[0].mem.scale == 8;
	int n = 0;

	if (addr >= c->lo && addr < c->hi)
		n = add_landing(&c->cl->land, addr);
	else if (absolute || insn->id == X86_INS_LEA)
		n = read_table(c, addr, absolute);
	if (n < 0)
		c->err = n;
	c->tabled |= n > 0 && !(addr >= c->lo && addr < c->hi);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const uint8_t *caller_code(struct caller_line *cl, const struct elf_symbol *fn)
{
	if (!fn->size || fn->size > MAX_FUNCTION_BYTES)
		return NULL;
	if (fn->size > cl->code_cap) {
		uint8_t *grown = realloc(cl->code, fn->size);

		if (!grown)
			return NULL;
		cl->code = grown;
		cl->code_cap = fn->size;
	}
	if (pread(cl->fd, cl->code, fn->size, (off_t)fn->file_offset) != (ssize_t)fn->size)
		return NULL;
	return cl->code;
}

/* Fills cl->land, sorted, with where a branch in the caller fn may land. */
static enum caller_problem collect_landings(struct caller_line *cl, const struct elf_symbol *fn,
					    const uint8_t *code, uint64_t call)
{
	struct caller_fn c = {cl, fn->addr, fn->addr + fn->size, false, 0};
	size_t left = fn->size;
	uint64_t pc = fn->addr;
	bool indirect = false, call_seen = false;

	cl->land.count = 0;
	while (left && !c.err) {
		call_seen |= pc == call;
		if (!cs_disasm_iter(cl->cs, &code, &left, &pc, cl->insn))
			return CALLER_UNDECODABLE;
		insn_named_addresses(cl->insn, caller_named, &c);
		if (cs_insn_group(cl->cs, cl->insn, CS_GRP_JUMP) &&
		    cl->insn->detail->x86.operands[0].type != X86_OP_IMM)
			indirect = true;
	}
	/* The call an instruction of the caller as decoded from its start (not
	 * bytes inside another, where a probe would change what runs). */
	if (c.err || !call_seen)
		return CALLER_UNDECODABLE;
	if (indirect && !c.tabled)
		return CALLER_BRANCHED_INTO; /* where its indirect jumps go is unknown */
	if (cl->land.count > 1)
		qsort(cl->land.addrs, cl->land.count, sizeof(*cl->land.addrs), cmp_u64);
	return CALLER_OK;
}

/* A jmp or jcc the kernel emulates at a uprobe: an immediate target, no
 * prefix (rel8 or rel32). */
static bool emulated_jump(const cs_insn *insn)
{
	const uint8_t *b = insn->bytes;

	return (b[0] == 0xeb && insn->size == 2) || (b[0] == 0xe9 && insn->size == 5) ||
	       ((b[0] & 0xf0) == 0x70 && insn->size == 2) ||
	       (b[0] == 0x0f && (b[1] & 0xf0) == 0x80 && insn->size == 6);
}

/* How an instruction moves the stack pointer: by *delta bytes (add or sub
 * of an immediate, push, pop), or in a way not followed (false). */
static bool stack_moves(csh cs, const cs_insn *insn, int64_t *delta)
{
	const cs_x86 *x = &insn->detail->x86;
	cs_regs read, written;
	uint8_t nread, nwritten, k;
	bool writes = false;

	*delta = 0;
	if (cs_regs_access(cs, insn, read, &nread, written, &nwritten) != CS_ERR_OK)
		return false;
	for (k = 0; k < nwritten; k++)
		writes |= written[k] == X86_REG_RSP || written[k] == X86_REG_ESP ||
			  written[k] == X86_REG_SP || written[k] == X86_REG_SPL;
	if (!writes)
		return true;
	if ((insn->id == X86_INS_ADD || insn->id == X86_INS_SUB) && x->op_count == 2 &&
	    x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RSP &&
	    x->operands[1].type == X86_OP_IMM) {
		*delta = insn->id == X86_INS_ADD ? x->operands[1].imm : -x->operands[1].imm;
		return true;
	}
	if ((insn->id == X86_INS_PUSH || insn->id == X86_INS_POP) && x->op_count == 1 &&
	    x->operands[0].size == 8 &&
	    !(x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RSP)) {
		*delta = insn->id == X86_INS_POP ? 8 : -8;
		return true;
	}
	return false; /* leave, mov to rsp, ...: not followed */
}

static bool leaves_line(csh cs, const cs_insn *insn)
{
	return cs_insn_group(cs, insn, CS_GRP_CALL) || cs_insn_group(cs, insn, CS_GRP_INT) ||
	       cs_insn_group(cs, insn, CS_GRP_IRET) || insn->id == X86_INS_UD2 ||
	       insn->id == X86_INS_HLT || insn->id == X86_INS_SYSCALL ||
	       insn->id == X86_INS_SYSENTER;
}

/* The end of the straight line from the return address ret on, in the
 * caller fn: its first jump (emulated by the kernel), or the caller's own
 * plain `ret` (single-stepped, as the callee's would be: a forwarding shim
 * such as <Pin<P> as Future>::poll). *sp_delta: how far the stack pointer
 * has moved up from the return's by then. */
static enum caller_problem find_end(struct caller_line *cl, const struct elf_symbol *fn,
				    const uint8_t *code, uint64_t ret, uint64_t *end,
				    uint64_t *sp_delta, bool *at_ret)
{
	const uint8_t *p = code + (ret - fn->addr);
	size_t left = fn->size - (ret - fn->addr);
	uint64_t pc = ret;
	int64_t delta = 0, d;
	int n;

	for (n = 0; n < STRAIGHT_MAX && left; n++) {
		bool jump, plain_ret;

		if (!cs_disasm_iter(cl->cs, &p, &left, &pc, cl->insn))
			return CALLER_UNDECODABLE;
		jump = cs_insn_group(cl->cs, cl->insn, CS_GRP_JUMP);
		plain_ret = cl->insn->id == X86_INS_RET && cl->insn->size == 1;
		if (jump || cs_insn_group(cl->cs, cl->insn, CS_GRP_RET)) {
			*end = cl->insn->address;
			*sp_delta = (uint64_t)delta;
			*at_ret = !jump;
			return (jump ? emulated_jump(cl->insn) : plain_ret) && delta >= 0 &&
				       delta < SP_DELTA_MAX
				   ? CALLER_OK
				   : CALLER_NOT_STRAIGHT;
		}
		if (leaves_line(cl->cs, cl->insn) || !stack_moves(cl->cs, cl->insn, &d))
			return CALLER_NOT_STRAIGHT;
		delta += d;
	}
	return CALLER_NOT_STRAIGHT;
}

/* Whether a landing place is in [from, to]. */
static bool lands_in(const struct caller_landing *l, uint64_t from, uint64_t to)
{
	size_t lo = 0, hi = l->count;

	while (lo < hi) { /* the first at or above from */
		size_t mid = lo + (hi - lo) / 2;

		if (l->addrs[mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->count && l->addrs[lo] <= to;
}

enum caller_problem caller_line_check(struct caller_line *cl, uint64_t call,
				      struct caller_probe *out)
{
	const struct elf_symbol *fn = symbol_at(cl->syms, call);
	const uint8_t *code = fn && call + 5 <= fn->addr + fn->size ? caller_code(cl, fn) : NULL;
	enum caller_problem p;
	uint64_t jump = 0, delta = 0;
	bool at_ret = false;

	if (!code)
		return CALLER_UNDECODABLE;
	p = collect_landings(cl, fn, code, call);
	if (p == CALLER_OK)
		p = find_end(cl, fn, code, call + 5, &jump, &delta, &at_ret);
	if (p != CALLER_OK)
		return p;
	/* On the return address, between, or on the end itself: the end's
	 * probe would fire for a call that never was. */
	if (lands_in(&cl->land, call + 5, jump))
		return CALLER_BRANCHED_INTO;
	/* A probed function's entry or ret is its own probe's place too: two
	 * events at one hit, in no set order, would close the frames wrongly. */
	if ((call == fn->addr || at_ret) && cl->probed && u64_map_get(cl->probed, fn->addr))
		return CALLER_SHARED_END;
	out->call_offset = fn->file_offset + (call - fn->addr);
	out->jump_offset = fn->file_offset + (jump - fn->addr);
	out->sp_delta = delta;
	return CALLER_OK;
}

void caller_line_release(struct caller_line *cl)
{
	free(cl->code);
	free(cl->land.addrs);
	cl->code = NULL;
	cl->land.addrs = NULL;
	cl->code_cap = cl->land.cap = cl->land.count = 0;
}
