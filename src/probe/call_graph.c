#include "probe/call_graph.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/elf_symbols.h"
#include "probe/site_table.h"
#include "util/u64_map.h"

/* Plain (non-future) functions followed in a row below a future: enough for
 * a runtime's poll path (raw::poll, Harness::poll, poll_inner, Core::poll,
 * with_mut, a closure) in a debug build, and for a combinator's helpers. */
#define MAX_PLAIN_DEPTH	   12
#define MAX_FUNCTIONS	   50000     /* bounds the walk on a huge binary */
#define MAX_FUNCTION_BYTES (1 << 20) /* a symbol size beyond this is not code */

#define OP_CALL_REL32	 0xe8
#define OP_JMP_REL32	 0xe9
#define OP_LEA		 0x8d
#define MODRM_RIP_REL(m) (((m)&0xc7) == 0x05)

struct walk {
	int fd;
	const struct elf_symbols *syms;
	const struct site_table *sites;
	struct u64_map site_at; /* addr -> site id + 1 */
	bool *reached;
	int marked;
	uint8_t *depth; /* per symbol: 0 unvisited, else plain depth + 1 */
	size_t *queue;
	size_t head, tail;
	uint8_t *code;
};

static long symbol_at(const struct elf_symbols *syms, uint64_t addr)
{
	size_t lo = 0, hi = syms->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (syms->syms[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < syms->count && syms->syms[lo].addr == addr ? (long)lo : -1;
}

/* Visits symbol i at plain depth d (0 below a future), once at its lowest. */
static void enqueue(struct walk *w, long i, unsigned int d)
{
	if (i < 0 || d > MAX_PLAIN_DEPTH || w->tail >= MAX_FUNCTIONS)
		return;
	if (w->depth[i] && w->depth[i] <= d + 1)
		return;
	w->depth[i] = (uint8_t)(d + 1);
	w->queue[w->tail++] = (size_t)i;
}

/* A call or jump from a function at plain depth d lands on target. */
static void follow(struct walk *w, uint64_t target, unsigned int d)
{
	long i = symbol_at(w->syms, target);
	uintptr_t id1;
	const struct site *s;

	if (i < 0)
		return; /* not a function start: a stray E8/E9 byte, or mid-function */
	id1 = (uintptr_t)u64_map_get(&w->site_at, target);
	if (!id1) {
		enqueue(w, i, d + 1);
		return;
	}
	s = &w->sites->sites[id1 - 1];
	if (s->role != SITE_FUTURE)
		return; /* another task type's poll entry, or a task's end */
	if (s->deferred && !w->reached[id1 - 1]) {
		w->reached[id1 - 1] = true;
		w->marked++;
	}
	enqueue(w, i, 0);
}

static int32_t rel32_at(const uint8_t *p)
{
	int32_t rel;

	memcpy(&rel, p, sizeof(rel));
	return rel;
}

/* Scans one function's bytes for rel32 calls and jumps, and for functions
 * whose address it takes with `lea fn(%rip)`: a debug build's catch_unwind
 * (every task poll goes through one) calls its closure through a pointer
 * that __rust_try gets that way. Bytes are not decoded into instructions:
 * an opcode byte inside another instruction gives a target that is almost
 * never exactly a function start, and one that is costs at most a probe
 * too many. */
static void scan_function(struct walk *w, size_t i)
{
	const struct elf_symbol *sym = &w->syms->syms[i];
	const uint8_t *c = w->code;
	unsigned int d = w->depth[i] - 1u;
	size_t k, n;
	ssize_t got;

	if (!sym->size || sym->size > MAX_FUNCTION_BYTES)
		return;
	got = pread(w->fd, w->code, sym->size, (off_t)sym->file_offset);
	n = got > 0 ? (size_t)got : 0;
	for (k = 0; k + 5 <= n; k++) {
		if (c[k] == OP_CALL_REL32 || c[k] == OP_JMP_REL32)
			follow(w, sym->addr + k + 5 + (int64_t)rel32_at(c + k + 1), d);
		else if ((c[k] == 0x48 || c[k] == 0x4c) && k + 7 <= n && c[k + 1] == OP_LEA &&
			 MODRM_RIP_REL(c[k + 2]))
			follow(w, sym->addr + k + 7 + (int64_t)rel32_at(c + k + 3), d);
	}
}

static int index_sites(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->sites->count; i++)
		if (u64_map_put(&w->site_at, w->sites->sites[i].addr, (void *)(uintptr_t)(i + 1)))
			return -ENOMEM;
	return 0;
}

int call_graph_reach(const char *code_path, const struct elf_symbols *syms,
		     const struct site_table *sites, const bool *from, bool *reached)
{
	struct walk w = {.syms = syms, .sites = sites, .reached = reached};
	size_t i;
	int ret;

	w.fd = open(code_path, O_RDONLY | O_CLOEXEC);
	if (w.fd < 0)
		return -errno;
	w.depth = calloc(syms->count + 1, 1);
	w.queue = calloc(MAX_FUNCTIONS, sizeof(*w.queue));
	w.code = malloc(MAX_FUNCTION_BYTES);
	ret = -ENOMEM;
	if (!w.depth || !w.queue || !w.code || index_sites(&w))
		goto cleanup;
	for (i = 0; i < sites->count; i++)
		if (from[i])
			enqueue(&w, symbol_at(syms, sites->sites[i].addr), 0);
	while (w.head < w.tail)
		scan_function(&w, w.queue[w.head++]);
	ret = w.marked;
cleanup:
	close(w.fd);
	u64_map_free(&w.site_at);
	free(w.depth);
	free(w.queue);
	free(w.code);
	return ret;
}
