/* Probe placement (src/probe/site_proof.c): only the first byte of a sized
 * function, whole in an executable segment of the binary, at the file
 * offset its program headers give. */
#include "check.h"
#include "probe/elf_symbols.h"
#include "probe/site_proof.h"

int check_passed, check_failed;

int main(void)
{
	/* .text at 0x1000..0x3000 of the address space, 0x800 into the file */
	struct elf_code_segment code[] = {{0x1000, 0x2000, 0x800}};
	struct elf_symbol sym[] = {
	    {"label", 0x1100, 0, 0x900},      /* size 0: marks no function */
	    {"f", 0x1200, 0x40, 0xa00},	      /* an ordinary function */
	    {"bad_off", 0x1300, 0x10, 0xb08}, /* offset not the headers' (0xb00) */
	    {"tail", 0x2ff0, 0x20, 0x27f0},   /* runs past the segment's end */
	    {"outside", 0x4000, 0x10, 0x3800},
	};
	struct elf_symbols syms = {sym, 5, code, 1, true, false, true};

	CHECK(site_placement_proven(&syms, 0x1200, 0xa00));
	CHECK(!site_placement_proven(&syms, 0x1201, 0xa01)); /* inside f */
	CHECK(!site_placement_proven(&syms, 0x1200, 0xa01)); /* f, another offset */
	CHECK(!site_placement_proven(&syms, 0x1100, 0x900));
	CHECK(!site_placement_proven(&syms, 0x1300, 0xb08));
	CHECK(!site_placement_proven(&syms, 0x1300, 0xb00));
	CHECK(!site_placement_proven(&syms, 0x2ff0, 0x27f0));
	CHECK(!site_placement_proven(&syms, 0x4000, 0x3800));
	CHECK(!site_placement_proven(&syms, 0x1250, 0xa50)); /* between functions */
	syms.code_count = 0;				     /* no executable segment */
	CHECK(!site_placement_proven(&syms, 0x1200, 0xa00));
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
