#include "probe/probe_cost.h"

#include <fcntl.h>
#include <unistd.h>

#include "probe/site_table.h"

bool probe_single_steps(const uint8_t *code, size_t n)
{
	uint8_t op;

	if (n < 1)
		return true;
	op = code[0];
	if (op >= 0x40 && op <= 0x4f && n >= 2) /* a REX prefix: push %r8..%r15 */
		op = code[1];
	if (op >= 0x50 && op <= 0x57) /* push */
		return false;
	if (op == 0xe8 || op == 0xe9 || op == 0xeb || op == 0x90) /* call, jmp, nop */
		return false;
	if (op == 0x0f && n >= 2 && code[1] == 0x1f) /* multi-byte nop */
		return false;
	if (op == 0x66 && n >= 2 && (code[1] == 0x90 || code[1] == 0x0f)) /* nop forms */
		return false;
	return true;
}

void probe_cost_mark_sites(struct site_table *t, const char *binary)
{
	int fd = open(binary, O_RDONLY | O_CLOEXEC);
	size_t i;

	for (i = 0; i < t->count; i++) {
		uint8_t code[4];
		ssize_t n =
		    fd < 0 ? 0 : pread(fd, code, sizeof(code), (off_t)t->sites[i].file_offset);

		t->sites[i].single_step = n <= 0 || probe_single_steps(code, (size_t)n);
	}
	if (fd >= 0)
		close(fd);
}

uint64_t probe_cost_ns(const struct site_table *t, const uint64_t *hits)
{
	uint64_t ns = 0;
	size_t i;

	for (i = 0; i < t->count; i++) {
		const struct site *s = &t->sites[i];
		uint64_t each = s->single_step ? PROBE_SINGLE_STEP_NS : PROBE_EMULATED_NS;

		if (s->caller_probed)
			each = 2 * PROBE_EMULATED_NS; /* the call and the jump after it */
		else if (s->ret_probed)
			each += PROBE_SINGLE_STEP_NS; /* a ret is always single-stepped */
		else if (!site_entry_only(s))
			each += PROBE_RETURN_NS;
		ns += hits[i] * each;
	}
	return ns;
}
