#include "probe/stack_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/types.h>

#include "probe/elf_symbols.h"
#include "probe/target_memory.h"

struct code_image {
	const uint8_t *data;
	size_t size;
};

int code_image_open(const char *path, struct code_image **out)
{
	struct code_image *img;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size == 0) {
		e = errno ? errno : EINVAL;
		close(fd);
		return -e;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (map == MAP_FAILED)
		return -e;
	img = malloc(sizeof(*img));
	if (!img) {
		munmap(map, st.st_size);
		return -ENOMEM;
	}
	img->data = map;
	img->size = st.st_size;
	*out = img;
	return 0;
}

void code_image_free(struct code_image *img)
{
	if (!img)
		return;
	munmap((void *)img->data, img->size);
	free(img);
}

const struct elf_symbol *symbol_at(const struct elf_symbols *syms, uint64_t vaddr)
{
	size_t lo = 0, hi = syms->count;

	while (lo < hi) { /* the last symbol starting at or below vaddr */
		size_t mid = lo + (hi - lo) / 2;

		if (syms->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	lo--;
	return vaddr - syms->syms[lo].addr < syms->syms[lo].size ? &syms->syms[lo] : NULL;
}

/* An indirect call "ff /2" of exactly n bytes ending at code: the ModRM
 * byte's addressing mode must account for the bytes after it. */
static bool indirect_call_of_length(const uint8_t *code, size_t before, size_t n)
{
	size_t i, at;
	uint8_t modrm, mod, rm;

	for (i = 0; i < 2; i++) { /* without and with a REX prefix */
		size_t len = n - i, tail;

		if (before < n || len < 2 || (i && (code[-(long)n] & 0xf0) != 0x40))
			continue;
		at = n - i; /* distance of the ff byte from the end */
		if (code[-(long)at] != 0xff)
			continue;
		modrm = code[1 - (long)at];
		mod = modrm >> 6;
		rm = modrm & 7;
		if ((modrm & 0x38) != 0x10)
			continue;
		tail = mod == 3 ? 0 : mod == 1 ? 1 : mod == 2 ? 4 : rm == 5 ? 4 : 0;
		if (mod != 3 && rm == 4)
			tail += 1; /* SIB byte */
		if (2 + tail == len)
			return true;
	}
	return false;
}

/* x86-64 calls end at the return address: e8 rel32 (5 bytes), or ff /2
 * with a register, memory or rip-relative operand (2 to 8 bytes). */
static bool follows_call(const uint8_t *code, size_t before)
{
	size_t n;

	if (before >= 5 && code[-5] == 0xe8)
		return true;
	for (n = 2; n <= 8; n++)
		if (indirect_call_of_length(code, before, n))
			return true;
	return false;
}

static const uint8_t *code_at(const struct elf_symbols *syms, const struct code_image *img,
			      uint64_t vaddr, size_t *before)
{
	const struct elf_symbol *sym = symbol_at(syms, vaddr);
	uint64_t off;

	if (!sym || !img)
		return NULL;
	off = sym->file_offset + (vaddr - sym->addr);
	if (off + 8 > img->size)
		return NULL;
	*before = off;
	return img->data + off;
}

/* The function a call ending at ret goes to: a direct call (e8 rel32), or
 * one through a GOT slot (ff 15 disp32, how rustc calls into other crates),
 * read from the live process; through one jmp stub (LLVM leaves "jmp
 * rel32" thunks). 0 when it cannot be known (a register operand). */
static uint64_t call_target(const struct elf_symbols *syms, const struct code_image *img,
			    const struct scan_target *t, uint64_t ret)
{
	const uint8_t *code;
	uint64_t target, slot;
	size_t before;
	int32_t rel;

	code = code_at(syms, img, ret, &before);
	if (!code || before < 6)
		return 0;
	if (code[-5] == 0xe8) {
		memcpy(&rel, code - 4, sizeof(rel));
		target = ret + (int64_t)rel;
	} else if (code[-6] == 0xff && code[-5] == 0x15 && t->pid) {
		memcpy(&rel, code - 4, sizeof(rel));
		if (target_read_memory(t->pid, ret + (int64_t)rel + (uint64_t)t->bias, &slot,
				       sizeof(slot)))
			return 0;
		target = slot - (uint64_t)t->bias;
	} else {
		return 0;
	}
	code = code_at(syms, img, target, &before);
	if (code && code[0] == 0xe9) {
		memcpy(&rel, code + 1, sizeof(rel));
		target = target + 5 + (int64_t)rel;
	}
	return target;
}

static bool is_return_address(const struct elf_symbols *syms, const struct code_image *img,
			      uint64_t vaddr)
{
	const struct elf_symbol *sym = symbol_at(syms, vaddr);
	const uint8_t *code;
	size_t before;

	if (!sym || vaddr == sym->addr)
		return false;
	code = code_at(syms, img, vaddr, &before);
	return !code || follows_call(code, before);
}

/* The number of frames to keep when a call to target goes into frame k
 * and frames k+1.. were never seen to be called (stale words); n if no
 * unverified run ends at a frame of target's function. */
static size_t drop_stale_frames(const struct elf_symbols *syms, const uint64_t *frames, size_t n,
				uint64_t verified, uint64_t target)
{
	const struct elf_symbol *fn = symbol_at(syms, target);
	size_t k;

	for (k = n; k-- > 0;) {
		if (symbol_at(syms, frames[k]) == fn)
			return k + 1;
		if (k < 64 && (verified >> k & 1))
			break; /* a frame surely called: nothing below it is stale */
	}
	return n;
}

/* Frames are checked against each other: a direct call before a return
 * address must go to the function of the frame below it, which drops most
 * stale words (return addresses of calls that already returned). */
size_t stack_scan(const struct stack_sample *s, const struct scan_target *t,
		  const struct elf_symbols *syms, const struct code_image *img, uint64_t *frames,
		  uint64_t *verified, size_t max)
{
	const struct elf_symbol *below = symbol_at(syms, s->ip - (uint64_t)t->bias);
	/* The thread is in a library (the vDSO's clock, libc's futex): the
	 * first frame calls out of the binary, not into it. */
	bool outside = below == NULL;
	size_t n = 0, off;

	*verified = 0;
	if (max && below)
		frames[n++] = s->ip - (uint64_t)t->bias;
	for (off = 0; off + 8 <= s->len && n < max; off += 8) {
		uint64_t word, vaddr, target;

		memcpy(&word, s->stack + off, sizeof(word));
		vaddr = word - (uint64_t)t->bias;
		if (!is_return_address(syms, img, vaddr) || (n && frames[n - 1] == vaddr))
			continue;
		target = call_target(syms, img, t, vaddr);
		if (!n && outside && target && symbol_at(syms, target))
			continue; /* a stale word: it calls into the binary */
		if (target && below && symbol_at(syms, target) != below) {
			/* It may call a frame further in, past stale words that
			 * were taken for frames: drop those, keep this one. */
			size_t k = drop_stale_frames(syms, frames, n, *verified, target);

			if (k == n)
				continue;
			n = k;
			*verified &= (n < 64 ? (1ULL << n) : 0) - 1;
		}
		if (target && n && n < 64)
			*verified |= 1ULL << n;
		frames[n++] = vaddr;
		below = symbol_at(syms, vaddr);
	}
	return n;
}
