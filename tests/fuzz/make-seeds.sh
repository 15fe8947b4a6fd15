#!/usr/bin/env bash
# Rebuilds the ELF seeds of tests/fuzz/corpus/{elf_symbols,dwarf_index} (the
# files named after how they were made, not the hash-named ones libFuzzer
# merged in) into OUTDIR, from tests/unit/fixtures/dwarf_fixture.rs and a
# few lines of C. Objects are linked with unresolved symbols left at 0, so
# no libstd is pulled in and each seed stays a few tens of KiB.
#
#   tests/fuzz/make-seeds.sh OUTDIR      (then copy what you want to keep)
set -euo pipefail
out=$(realpath -m "${1:?usage: make-seeds.sh OUTDIR}")
src=$(realpath "$(dirname "$0")/../unit/fixtures/dwarf_fixture.rs")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/elf_symbols" "$out/dwarf_index"
cd "$tmp"

rs() { # NAME RUSTC-FLAGS...: NAME.exe from the fixture
	local name=$1
	shift
	rustc --edition 2021 -C panic=abort --emit=obj "$@" -o "$name.o" "$src"
	ld --unresolved-symbols=ignore-all -e 0 -o "$name.exe" "$name.o"
}
rs dwarf4 -C debuginfo=2 -C opt-level=0
rs dwarf5 -C debuginfo=2 -C opt-level=0 -C dwarf-version=5
rs v0 -C debuginfo=2 -C opt-level=0 -C symbol-mangling-version=v0
rs opt3 -C debuginfo=2 -C opt-level=3
rs opt2 -C debuginfo=1 -C opt-level=2
rs split -C debuginfo=2 -C opt-level=0 -C split-debuginfo=unpacked
ld --unresolved-symbols=ignore-all -e 0 -pie --export-dynamic -o pie.exe dwarf4.o

cat >nested.c <<'C'
/* gcc's DWARF: DW_AT_sibling, lexical blocks, nested and inlined functions. */
static inline int sq(int x)
{
	return x * x;
}

int outer(int n)
{
	int inner(int k)
	{
		return k + n;
	}
	int s = 0;
	for (int i = 0; i < n; i++) {
		int t = inner(i);
		{
			int (*fp)(int) = inner;
			s += fp(t) + sq(i);
		}
	}
	return s;
}

int _start(void)
{
	return outer(3) + sq(2);
}
C
gcc -g -O1 -fno-asynchronous-unwind-tables -c nested.c -o nested.o
ld --unresolved-symbols=ignore-all -e 0 -z noexecstack -o nested.exe nested.o

e=$out/elf_symbols d=$out/dwarf_index
strip -g -o "$e/legacy_nodebug" dwarf4.exe
strip -g -o "$e/v0_nodebug" v0.exe
strip -o "$e/stripped" dwarf4.exe
strip -o "$e/pie_dynsym_only" pie.exe
strip -g -o "$e/opt3_nodebug" opt3.exe
cp opt2.exe "$e/opt2_line_tables"
cp nested.exe "$e/gcc_c_nested"
cp dwarf4.exe "$d/dwarf4_debug"
cp dwarf5.exe "$d/dwarf5_debug"
cp opt2.exe "$d/opt2_line_tables"
cp opt3.exe "$d/opt3_debug"
cp split.exe "$d/split_skeleton"
objcopy --only-keep-debug dwarf4.exe "$d/only_keep_debug"
objcopy --compress-debug-sections=zlib dwarf4.exe "$d/zlib_debug"
strip -o "$d/stripped" dwarf4.exe
cp nested.exe "$d/gcc_c_nested"
echo "make-seeds: written to $out"
