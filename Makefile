# cattop build. `make` builds build/cattop; `make test` builds an ASan/UBSan
# variant under build/san and runs the unit and integration tests against it.
# V=1 shows the commands.

SAN ?= 0
ifeq ($(SAN),1)
OUTPUT  ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Linked in statically: gcc's shared libubsan next to libasan ignores
# log_path, and the test runners collect every report through it.
SANLDFLAGS := -static-libasan -static-libubsan
OPTFLAGS := -O1 -g
else
OUTPUT  ?= build
SANFLAGS :=
SANLDFLAGS :=
OPTFLAGS := -O2 -g
endif

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
# rustup's toolchain when present: Debian 12's own rustc (1.63) predates what
# the workloads and today's symbol names need.
CARGO    ?= $(firstword $(wildcard $(HOME)/.cargo/bin/cargo) cargo)
ARCH     := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')

CFLAGS   := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror $(OPTFLAGS) $(SANFLAGS) \
	    -Isrc -I$(OUTPUT) $(shell pkg-config --cflags libbpf)
LDLIBS   := $(shell pkg-config --libs libbpf) -lcapstone -ldw -lelf -liberty -lncursesw -linih -ljansson -lz -lm -lpthread
LDFLAGS  := $(SANFLAGS) $(SANLDFLAGS)

BPF_SRCS := $(wildcard src/bpf/*.bpf.c)
SKELS    := $(patsubst src/bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
LIB_SRCS := $(filter-out src/cattop.c %.bpf.c,$(wildcard src/*.c src/*/*.c))
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(LIB_SRCS))
APP_OBJ  := $(OUTPUT)/obj/cattop.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all clean test unit-test integration-test workloads format format-check demo bench \
	test-under-load run-under-load
.DELETE_ON_ERROR:
# Generated skeletons are kept: every object depends on them.
.SECONDARY: $(SKELS) $(SKELS:.skel.h=.bpf.o)

all: $(OUTPUT)/cattop

$(OUTPUT) $(OUTPUT)/obj $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# Only thread_fsbase reads a kernel structure (task->thread.fsbase), through
# CO-RE: its few declarations carry preserve_access_index, no vmlinux.h.
$(OUTPUT)/%.bpf.o: src/bpf/%.bpf.c src/bpf/%.h src/bpf/saved_regs.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
		-I$(OUTPUT) -Isrc/bpf -I/usr/include/$(shell uname -m)-linux-gnu -c $< -o $@
	$(Q)llvm-strip -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUTPUT)/obj/%.o: src/%.c $(SKELS) $(OUTPUT)/default_config.h $(OUTPUT)/timeline_html.h \
		   $(wildcard src/*.h src/*/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/cattop: $(APP_OBJ) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(LIB_OBJS) tests/unit/check.h | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -o $@

# The Rust workloads the integration tests attach to (offline, Debian's crates).
workloads:
	$(call msg,CARGO,tests/workloads)
	$(Q)cd tests/workloads && $(CARGO) build -q && $(CARGO) build -q --release && \
		$(CARGO) build -q --profile release-nodebug && \
		$(CARGO) build -q --profile release-debuginfo -p wl-tokio -p wl-hung -p wl-join

unit-test: $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(OUTPUT)

integration-test: all workloads
	$(Q)python3 tests/integration/run.py --cattop $(OUTPUT)/cattop

# The one command CI and the README run (the plain build too: valgrind runs it).
test: all fuzz-test
	$(Q)$(MAKE) --no-print-directory SAN=1 unit-test integration-test

# The unit and integration tests again with a busy loop on every CPU
# (tests/run-under-load.sh): they must hold on a busy machine too.
# LOAD_ARGS goes to the script, e.g. LOAD_ARGS='-k test_tui -U'.
test-under-load: all
	$(Q)$(MAKE) --no-print-directory SAN=1 run-under-load

run-under-load: all workloads $(UNIT_BINS)
	$(Q)tests/run-under-load.sh $(LOAD_ARGS) $(OUTPUT)/cattop

# libFuzzer harnesses of the parsers (tests/fuzz), built with clang into
# build/fuzz; `make test` runs each for FUZZ_TIME seconds over its corpus and
# fails on a crash, leak or UB. Long runs: tests/run-fuzz.sh -h.
FUZZ_OUT    := build/fuzz
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 12
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g $(FUZZ_SAN) \
	       -Isrc -I$(OUTPUT)
FUZZ_LDLIBS := -ldw -lelf -liberty -linih -lncursesw -lz
FUZZERS     := config demangle elf_symbols dwarf_index recording
fuzz_objs    = $(patsubst %,$(FUZZ_OUT)/obj/%.o,$(1))

.PHONY: fuzz fuzz-test
fuzz: $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZERS))

fuzz-test: fuzz
	$(Q)tests/run-fuzz.sh -t $(FUZZ_TIME) -o $(FUZZ_OUT) $(FUZZERS)

$(FUZZ_OUT)/obj/%.o: src/%.c $(OUTPUT)/default_config.h $(wildcard src/*.h src/*/*.h)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_file.h
	$(call msg,FUZZ-LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(filter %.o,$^) $(FUZZ_LDLIBS) -o $@

$(FUZZ_OUT)/fuzz_config: $(call fuzz_objs,config/config util/duration ui/colors)
$(FUZZ_OUT)/fuzz_demangle: $(call fuzz_objs,probe/rust_demangle probe/classify)
$(FUZZ_OUT)/fuzz_elf_symbols: $(call fuzz_objs,probe/elf_symbols probe/rust_demangle probe/classify \
	probe/debug_file)
$(FUZZ_OUT)/fuzz_dwarf_index: $(call fuzz_objs,probe/dwarf_index util/str_pool)
$(FUZZ_OUT)/fuzz_recording: $(call fuzz_objs,recording/recording_reader recording/replay \
	model/poll_tracker model/task_model model/stuck_task probe/site_table probe/coroutine_layout \
	probe/classify probe/rust_demangle probe/dwarf_index util/str_pool probe/dwarf_location \
	probe/elf_symbols probe/site_proof probe/stack_scan probe/target_memory \
	probe/task_type config/config \
	util/u64_map util/duration ui/colors)

demo: all
	$(Q)scripts/demo.sh $(OUTPUT)/cattop

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf build

# The default config is compiled in, so cattop needs no installed data file.
$(OUTPUT)/default_config.h: config/cattop.ini | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q){ echo 'static const char default_config_text[] ='; \
	      sed 's/\\/\\\\/g; s/"/\\"/g; s/^/\t"/; s/$$/\\n"/' $<; echo ';'; } > $@

# The HTML export's page template, compiled in like the config ('?' escaped:
# JavaScript's ?? must not read as a C trigraph).
$(OUTPUT)/timeline_html.h: src/export/timeline.html | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q){ echo 'static const char timeline_html_text[] ='; \
	      sed 's/\\/\\\\/g; s/"/\\"/g; s/?/\\?/g; s/^/\t"/; s/$$/\\n"/' $<; \
	      echo ';'; } > $@

# Overhead and scale benchmarks (issue #3; bench/). bench-workloads builds
# bench/workloads (offline, Debian's crates) in the three builds the
# benchmark compares: release (debug = 1), debug, and debug with frame
# pointers (target-fp/); plus bench-many (debug) for the attach timing.
# `make bench` runs bench/run.py (overhead tables) and bench/scale.py
# (attach/detach, memory, event rate); BENCH_ARGS / SCALE_ARGS add options,
# e.g. make bench BENCH_ARGS=--quick SCALE_ARGS=--quick.
.PHONY: bench-workloads bench-scale
bench-workloads:
	$(call msg,CARGO,bench/workloads)
	$(Q)cd bench/workloads && \
		RUSTFLAGS= CARGO_TARGET_DIR=target $(CARGO) build -q --release && \
		RUSTFLAGS= CARGO_TARGET_DIR=target $(CARGO) build -q && \
		RUSTFLAGS= CARGO_TARGET_DIR=target $(CARGO) build -q -p bench-many && \
		RUSTFLAGS="-C force-frame-pointers=yes" CARGO_TARGET_DIR=target-fp $(CARGO) build -q

bench: all bench-workloads
	$(Q)python3 bench/run.py --no-build --cattop $(OUTPUT)/cattop $(BENCH_ARGS)
	$(Q)python3 bench/scale.py --no-build --cattop $(OUTPUT)/cattop $(SCALE_ARGS)
	$(Q)if command -v perf >/dev/null; then for b in release debug; do \
		python3 bench/perf_breakdown.py --cattop $(OUTPUT)/cattop --build $$b || exit 1; \
	done; else echo "bench: perf not installed, no perf breakdown (apt install linux-perf)"; fi

bench-scale: all bench-workloads
	$(Q)python3 bench/scale.py --no-build --cattop $(OUTPUT)/cattop $(SCALE_ARGS)
