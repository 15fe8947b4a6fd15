/* The exit finder on tests/unit/fixtures/exits_fixture.S (built here with
 * gcc): where each function returns, a tail call followed into its callee,
 * a jump table kept apart from a tail call by the call frame information,
 * an indirect tail call refused. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "probe/elf_symbols.h"
#include "probe/exit_sites.h"

int check_passed, check_failed;

#define FIXTURE_SRC "tests/unit/fixtures/exits_fixture.S"

static int build(const char *out)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execlp("gcc", "gcc", "-o", out, FIXTURE_SRC, (char *)NULL);
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

static enum exit_problem exits_of(struct exit_finder *f, const struct elf_symbol *s,
				  struct exit_list *out)
{
	return s ? exit_finder_find(f, s->addr, s->size, out) : EXIT_UNDECODABLE;
}

static void test_fixture(const struct elf_symbols *syms, struct exit_finder *f)
{
	const struct elf_symbol *two = named(syms, "two_rets");
	const struct elf_symbol *tail = named(syms, "tail_caller");
	const struct elf_symbol *table = named(syms, "jump_table");
	const struct elf_symbol *indirect = named(syms, "indirect_tail");
	struct exit_list x;

	CHECK(two && tail && table && indirect);
	if (!two || !tail || !table || !indirect)
		return;
	/* test; je; mov $1,%eax (5 bytes); ret at +9; xor; ret at +12 */
	CHECK(exits_of(f, two, &x) == EXIT_OK && x.count == 2);
	CHECK(x.offsets[0] == two->file_offset + 9 && x.offsets[1] == two->file_offset + 12);
	CHECK(x.own[0] && x.own[1]);
	/* Returns through two_rets' rets: not its own. */
	CHECK(exits_of(f, tail, &x) == EXIT_OK && x.count == 2);
	CHECK(x.offsets[0] == two->file_offset + 9 && !x.own[0] && !x.own[1]);
	/* The indirect jump is taken with the frame in place: a jump table. */
	CHECK(exits_of(f, table, &x) == EXIT_OK && x.count == 1 && x.own[0]);
	CHECK(x.offsets[0] == table->file_offset + table->size - 1);
	CHECK(exits_of(f, indirect, &x) == EXIT_INDIRECT_TAIL);
	/* Whole instructions from the start to the end, or refused: a range
	 * that ends inside the mov (at byte 6 of 9) is not code. */
	CHECK(exit_finder_check_code(f, two->addr, two->size) == EXIT_OK);
	CHECK(exit_finder_check_code(f, two->addr, 6) == EXIT_UNDECODABLE);
	/* A C program without the unwinder's raise: return probes are safe. */
	CHECK(!exit_finder_binary_unwinds(f));
	CHECK(strcmp(exit_problem_str(EXIT_INDIRECT_TAIL), "ok") != 0);
}

int main(void)
{
	char dir[] = "/tmp/cattop-exits-XXXXXX", bin[64];
	struct elf_symbols syms;
	struct exit_finder *f = NULL;

	if (!mkdtemp(dir)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	snprintf(bin, sizeof(bin), "%s/fixture", dir);
	CHECK(build(bin) == 0);
	CHECK(elf_symbols_read(bin, &syms) == 0);
	CHECK(exit_finder_open(&f, bin, &syms) == 0);
	if (f)
		test_fixture(&syms, f);
	exit_finder_close(f);
	elf_symbols_free(&syms);
	CHECK(exit_finder_open(&f, "/nonexistent", &syms) < 0 && !f);
	unlink(bin);
	rmdir(dir);
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
