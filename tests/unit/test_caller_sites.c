/* The caller-side probe finder on tests/unit/fixtures/callers_fixture.S
 * (built here with gcc, as a PIE): a future called only directly, each call
 * followed by straight-line code and a jmp/jcc, gets a probe on each call
 * and jump (or its forwarding shim's ret); one whose address is taken
 * (lea, a tail jump, a pointer in data), whose call is followed by another
 * call or a stack change not followed, or whose line after the call a
 * branch or a jump table lands in, keeps its own. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "probe/caller_sites.h"
#include "probe/elf_symbols.h"

int check_passed, check_failed;

#define FIXTURE_SRC "tests/unit/fixtures/callers_fixture.S"

static const char *const futures[] = {
    "fut_ok",	    "fut_lea",	    "fut_data",	     "fut_tail",      "fut_stack",
    "fut_call",	    "fut_shim",	    "fut_into_line", "fut_onto_jump", "fut_table",
    "fut_table_ok", "fut_indirect", "fut_none",	     "fut_hidden",
};
#define NFUTURES (sizeof(futures) / sizeof(futures[0]))

static int build(const char *out)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execlp("gcc", "gcc", "-pie", "-o", out, FIXTURE_SRC, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const struct elf_symbol *named(const struct elf_symbols *syms, const char *name)
{
	size_t i;

	for (i = 0; i < syms->count; i++)
		if (strcmp(syms->syms[i].name, name) == 0)
			return &syms->syms[i];
	return NULL;
}

static enum caller_problem find(struct caller_index *ix, const struct elf_symbols *syms,
				const char *name, struct caller_list *out)
{
	const struct elf_symbol *s = named(syms, name);

	return s ? caller_index_find(ix, s->addr, out) : CALLER_UNDECODABLE;
}

static void test_fixture(const struct elf_symbols *syms, struct caller_index *ix)
{
	const struct elf_symbol *ok = named(syms, "caller_ok");
	const struct elf_symbol *table = named(syms, "caller_table_ok");
	const struct elf_symbol *shim = named(syms, "caller_shim");
	struct caller_list c;

	CHECK(ok && table && shim);
	if (!ok || !table || !shim)
		return;
	/* Two calls, in code order; each call's jump: a jmp rel8, a jne rel8. */
	CHECK(find(ix, syms, "fut_ok", &c) == CALLER_OK && c.count == 2);
	CHECK(c.probes[0].call_offset == ok->file_offset + 9);
	CHECK(c.probes[0].jump_offset == ok->file_offset + 18 && c.probes[0].sp_delta == 0);
	CHECK(c.probes[1].call_offset == ok->file_offset + 25);
	CHECK(c.probes[1].jump_offset == ok->file_offset + 32);
	/* A jump table whose entries land before the call and after the jump. */
	CHECK(find(ix, syms, "fut_table_ok", &c) == CALLER_OK && c.count == 1);
	CHECK(c.probes[0].call_offset > table->file_offset &&
	      c.probes[0].jump_offset == c.probes[0].call_offset + 5 + 4);

	CHECK(find(ix, syms, "fut_lea", &c) == CALLER_REFERENCED && c.count == 0);
	CHECK(find(ix, syms, "fut_data", &c) == CALLER_REFERENCED);
	CHECK(find(ix, syms, "fut_tail", &c) == CALLER_REFERENCED);
	CHECK(find(ix, syms, "fut_stack", &c) == CALLER_NOT_STRAIGHT);
	CHECK(find(ix, syms, "fut_call", &c) == CALLER_NOT_STRAIGHT);
	/* A shim's own ret ends the line, its epilogue's 24 bytes taken back. */
	CHECK(find(ix, syms, "fut_shim", &c) == CALLER_OK && c.count == 1);
	CHECK(c.probes[0].call_offset == shim->file_offset + 4);
	CHECK(c.probes[0].jump_offset == shim->file_offset + 15 && c.probes[0].sp_delta == 24);
	CHECK(find(ix, syms, "fut_into_line", &c) == CALLER_BRANCHED_INTO);
	CHECK(find(ix, syms, "fut_onto_jump", &c) == CALLER_BRANCHED_INTO);
	CHECK(find(ix, syms, "fut_table", &c) == CALLER_BRANCHED_INTO);
	CHECK(find(ix, syms, "fut_indirect", &c) == CALLER_BRANCHED_INTO);
	CHECK(find(ix, syms, "fut_none", &c) == CALLER_NOT_CALLED);
	CHECK(find(ix, syms, "fut_hidden", &c) == CALLER_NOT_CALLED);
	CHECK(find(ix, syms, "caller_ok", &c) == CALLER_NOT_CALLED); /* not asked about */
	CHECK(strcmp(caller_problem_str(CALLER_REFERENCED), "ok") != 0);
}

int main(void)
{
	char dir[] = "/tmp/cattop-callers-XXXXXX", bin[64];
	struct elf_symbols syms;
	struct caller_index *ix = NULL;
	uint64_t targets[NFUTURES], shim_addr;
	size_t i, n = 0;

	if (!mkdtemp(dir)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	snprintf(bin, sizeof(bin), "%s/fixture", dir);
	CHECK(build(bin) == 0);
	CHECK(elf_symbols_read(bin, &syms) == 0);
	for (i = 0; i < NFUTURES; i++) {
		const struct elf_symbol *s = named(&syms, futures[i]);

		CHECK(s != NULL);
		if (s)
			targets[n++] = s->addr;
	}
	shim_addr = named(&syms, "caller_shim") ? named(&syms, "caller_shim")->addr : 0;
	CHECK(caller_index_build(&ix, bin, &syms, targets, n, NULL, 0) == 0);
	if (ix)
		test_fixture(&syms, ix);
	caller_index_free(ix);
	/* The shim probed too: its ret is its own probe's place. */
	ix = NULL;
	CHECK(caller_index_build(&ix, bin, &syms, targets, n, &shim_addr, 1) == 0);
	if (ix) {
		struct caller_list c;

		CHECK(find(ix, &syms, "fut_shim", &c) == CALLER_SHARED_END && c.count == 0);
		CHECK(find(ix, &syms, "fut_ok", &c) == CALLER_OK && c.count == 2);
	}
	caller_index_free(ix);
	ix = NULL;
	CHECK(caller_index_build(&ix, "/nonexistent", &syms, targets, n, NULL, 0) < 0 && !ix);
	elf_symbols_free(&syms);
	unlink(bin);
	rmdir(dir);
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
