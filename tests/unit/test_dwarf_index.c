/* Unit test for src/probe/dwarf_index.c against a real rustc binary.
 *
 *   test_dwarf_index [FIXTURE_BINARY]
 *
 * FIXTURE_BINARY is tests/unit/fixtures/dwarf_fixture.rs built from the
 * repository root with
 *   rustc --edition 2021 -C debuginfo=2 -C opt-level=0 -o BIN \
 *         tests/unit/fixtures/dwarf_fixture.rs
 * Without it the test runs that command itself (so it must then be started
 * from the repository root). The addresses to look up come from the
 * binary's own .symtab, read with libelf: the symbol table is what a probe
 * has, the index is what it asks.
 */
#include "../../src/probe/dwarf_index.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int check_passed, check_failed;

#define FIXTURE_SRC "tests/unit/fixtures/dwarf_fixture.rs"
/* rustc ran in the repository root, so once the index strips comp_dir the
 * decl file reads exactly as the source path given to rustc. */
#define FIXTURE_FILE FIXTURE_SRC

/* One function of the fixture: the legacy-mangled symbol prefix that finds
 * it in .symtab (up to the hash) and what DWARF must say about it. Lines are
 * the ones noted in the fixture's comments. */
struct expect {
	const char *what;
	const char *sym_prefix;
	enum dwarf_fn_kind kind;
	const char *name;
	int line;
	const char *qualified; /* NULL: not checked */
};

static const struct expect expects[] = {
    {"alpha body", "_ZN13dwarf_fixture5alpha28_$u7b$$u7b$closure$u7d$$u7d$17h", DWARF_FN_ASYNC_FN,
     "{async_fn#0}", 16, "dwarf_fixture::alpha::{async_fn#0}"},
    /* An async fn whose `{` is three lines below `async fn`: the line of
     * `async fn` (its fn item's), not the body's own decl_line. */
    {"gamma body", "_ZN13dwarf_fixture5gamma28_$u7b$$u7b$closure$u7d$$u7d$17h", DWARF_FN_ASYNC_FN,
     "{async_fn#0}", 103, "dwarf_fixture::gamma::{async_fn#0}"},
    {"gamma's block",
     "_ZN13dwarf_fixture5gamma28_$u7b$$u7b$closure$u7d$$u7d$28_$u7b$$u7b$closure$u7d$$u7d$17h",
     DWARF_FN_ASYNC_BLOCK, "{async_block#0}", 107,
     "dwarf_fixture::gamma::{async_fn#0}::{async_block#0}"},
    /* Every enclosing closure keeps its kind in the qualified name. */
    {"nest's inner block",
     "_ZN13dwarf_fixture4nest28_$u7b$$u7b$closure$u7d$$u7d$28_$u7b$$u7b$closure$u7d$$u7d$28_$u7b$"
     "$u7b$closure$u7d$$u7d$17h",
     DWARF_FN_ASYNC_BLOCK, "{async_block#0}", 116,
     "dwarf_fixture::nest::{async_block#0}::{closure#0}::{async_block#0}"},
    {"alpha constructor", "_ZN13dwarf_fixture5alpha17h", DWARF_FN_OTHER, "alpha", 16, NULL},
    {"beta body", "_ZN13dwarf_fixture4beta28_$u7b$$u7b$closure$u7d$$u7d$17h", DWARF_FN_ASYNC_FN,
     "{async_fn#0}", 22, "dwarf_fixture::beta::{async_fn#0}"},
    {"async block", "_ZN13dwarf_fixture10make_block28_$u7b$$u7b$closure$u7d$$u7d$17h",
     DWARF_FN_ASYNC_BLOCK, "{async_block#0}", 29, "dwarf_fixture::make_block::{async_block#0}"},
    {"closure", "_ZN13dwarf_fixture13apply_closure28_$u7b$$u7b$closure$u7d$$u7d$17h",
     DWARF_FN_CLOSURE, "{closure#0}", 35, "dwarf_fixture::apply_closure::{closure#0}"},
    {"Ready1::poll",
     "_ZN70_$LT$dwarf_fixture..Ready1$u20$as$u20$core..future..future..Future$GT$4poll17h",
     DWARF_FN_OTHER, "poll", 45, NULL},
    /* Name and line only reachable through DW_AT_abstract_origin. */
    {"twice (abstract origin)", "_ZN13dwarf_fixture5twice17h", DWARF_FN_OTHER, "twice", 54, NULL},
    /* Name and line only reachable through DW_AT_specification. */
    {"Wrap::get (specification)", "_ZN13dwarf_fixture13Wrap$LT$T$GT$3get17h", DWARF_FN_OTHER,
     "get<u32>", 71, NULL},
};

/* Runs argv without a shell; returns its exit status, or -1. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Finds the one STT_FUNC symbol starting with prefix. Returns how many
 * matched (the test wants exactly one), or -1 if the file is unreadable. */
static int find_func_sym(const char *path, const char *prefix, uint64_t *addr)
{
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	int fd, found = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		found = -1;
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		Elf_Data *data;
		GElf_Shdr shdr;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			const char *name;
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (name && strncmp(name, prefix, strlen(prefix)) == 0) {
				*addr = sym.st_value;
				found++;
			}
		}
	}
cleanup:
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_expect(const struct dwarf_index *idx, const char *bin, const struct expect *e)
{
	const struct dwarf_fn_info *fn;
	uint64_t addr = 0;
	int n = find_func_sym(bin, e->sym_prefix, &addr);

	if (n != 1) {
		fprintf(stderr, "%s: %d symbols match %s\n", e->what, n, e->sym_prefix);
		CHECK(n == 1);
		return;
	}
	fn = dwarf_index_lookup(idx, addr);
	CHECK(fn != NULL);
	if (!fn) {
		fprintf(stderr, "%s: no DWARF entry at 0x%llx\n", e->what,
			(unsigned long long)addr);
		return;
	}
	CHECK(fn->addr == addr);
	CHECK(fn->kind == e->kind);
	CHECK_STR(fn->name, e->name);
	CHECK_STR(fn->file, FIXTURE_FILE);
	if (fn->line != e->line)
		fprintf(stderr, "%s: line %d, want %d\n", e->what, fn->line, e->line);
	CHECK(fn->line == e->line);
	if (e->qualified)
		CHECK_STR(fn->qualified, e->qualified);
	/* Entry addresses are exact keys, not ranges. */
	CHECK(dwarf_index_lookup(idx, addr + 1) != fn);
}

/* Properties of the whole index: sorted, unique, every entry found by its
 * own address, and every function named (a missing name would mean an
 * abstract origin or specification was not followed). */
static void test_whole_index(const struct dwarf_index *idx)
{
	size_t n = dwarf_index_count(idx), unnamed = 0, sorted = 1, found = 1;

	CHECK(n > 100); /* the fixture links std, which has debug info too */
	for (size_t i = 0; i < n; i++) {
		const struct dwarf_fn_info *fn = dwarf_index_at(idx, i);

		if (i > 0 && dwarf_index_at(idx, i - 1)->addr >= fn->addr)
			sorted = 0;
		if (dwarf_index_lookup(idx, fn->addr) != fn)
			found = 0;
		if (!fn->name)
			unnamed++;
	}
	CHECK(sorted);
	CHECK(found);
	if (unnamed)
		fprintf(stderr, "%zu of %zu functions have no name\n", unnamed, n);
	CHECK(unnamed == 0);
	CHECK(dwarf_index_at(idx, n) == NULL);
	CHECK(dwarf_index_lookup(idx, 0) == NULL);
	CHECK(dwarf_index_lookup(idx, UINT64_MAX) == NULL);
}

static void test_errors(const char *nodebug_bin, const char *text_file)
{
	struct dwarf_index *idx = (struct dwarf_index *)1;

	CHECK(dwarf_index_open("/nonexistent/dwarf_fixture", &idx) == -ENOENT);
	CHECK(idx == NULL);
	CHECK(dwarf_index_open(text_file, &idx) == -ENOEXEC);
	CHECK(idx == NULL);
	CHECK(dwarf_index_open(nodebug_bin, &idx) == -ENODATA);
	CHECK(idx == NULL);
	CHECK(dwarf_index_count(NULL) == 0);
	CHECK(dwarf_index_lookup(NULL, 1) == NULL);
	dwarf_index_free(NULL);
}

/* Makes the files the error cases need next to the fixture: the fixture
 * without .debug_info (-ENODATA) and a file that is not ELF (-ENOEXEC). */
static int make_error_inputs(const char *bin, const char *nodebug, const char *text)
{
	char *objcopy[] = {"objcopy", "--strip-debug", (char *)bin, (char *)nodebug, NULL};
	FILE *f;

	if (run(objcopy) != 0)
		return -1;
	f = fopen(text, "w");
	if (!f)
		return -1;
	fputs("not an ELF file\n", f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	char tmpdir[] = "/tmp/cattop-dwarf-XXXXXX";
	char built[64], nodebug[64], text[64];
	const char *bin = argc > 1 ? argv[1] : built;
	struct dwarf_index *idx = NULL;
	double t0;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE || !mkdtemp(tmpdir)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	snprintf(built, sizeof(built), "%s/fixture", tmpdir);
	snprintf(nodebug, sizeof(nodebug), "%s/nodebug", tmpdir);
	snprintf(text, sizeof(text), "%s/text", tmpdir);
	if (argc <= 1) {
		char *rustc[] = {"rustc",
				 "--edition=2021",
				 "-Cdebuginfo=2",
				 "-Copt-level=0",
				 "-o",
				 built,
				 FIXTURE_SRC,
				 NULL};

		CHECK(run(rustc) == 0);
	}

	t0 = now_ms();
	err = dwarf_index_open(bin, &idx);
	printf("dwarf_index_open(%s): %d, %zu functions, %.1f ms\n", bin, err,
	       dwarf_index_count(idx), now_ms() - t0);
	CHECK(err == 0);
	if (idx) {
		for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
			test_expect(idx, bin, &expects[i]);
		test_whole_index(idx);
	}
	dwarf_index_free(idx);

	err = make_error_inputs(bin, nodebug, text);
	CHECK(err == 0);
	if (err == 0)
		test_errors(nodebug, text);

	unlink(built);
	unlink(nodebug);
	unlink(text);
	rmdir(tmpdir);
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
