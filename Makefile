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

# A distribution's flags go in EXTRA_CFLAGS / EXTRA_LDFLAGS, after cattop's
# own (debian/rules passes dpkg-buildflags' hardening flags there); WERROR=
# builds with a compiler that warns about what this one does not.
WERROR   ?= -Werror
CFLAGS   := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra $(WERROR) $(OPTFLAGS) $(SANFLAGS) \
	    -Isrc -I$(OUTPUT) $(shell pkg-config --cflags libbpf libmicrohttpd) $(EXTRA_CFLAGS)
LDLIBS   := $(shell pkg-config --libs libbpf libmicrohttpd) -lcapstone -ldw -lelf -liberty -lncursesw -linih -ljansson -lz -lm -lpthread
LDFLAGS  := $(SANFLAGS) $(SANLDFLAGS) $(EXTRA_LDFLAGS)

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
	test-under-load run-under-load install uninstall install-test deb deb-test
.DELETE_ON_ERROR:
# Generated skeletons are kept: every object depends on them.
.SECONDARY: $(SKELS) $(SKELS:.skel.h=.bpf.o)

all: $(OUTPUT)/cattop

$(OUTPUT) $(OUTPUT)/obj $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# Only thread_fsbase reads a kernel structure (task->thread.fsbase), through
# CO-RE: its few declarations carry preserve_access_index, no vmlinux.h.
$(OUTPUT)/%.bpf.o: src/bpf/%.bpf.c src/bpf/%.h src/bpf/saved_regs.h $(wildcard src/bpf/*.bpf.h)
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

# today's tokio (1.53) for tests/workloads-tokio-1.53: a cargo directory
# source (shared/vendor-tokio, next to the repository on the build machines).
CATTOP_VENDOR_TOKIO ?= $(firstword $(wildcard $(CURDIR)/../shared/vendor-tokio/make-registry.sh \
	/work/shared/vendor-tokio/make-registry.sh))
VENDOR_TOKIO_REGISTRY := $(CURDIR)/build/vendor-tokio-registry

# The Rust workloads the integration tests attach to (offline): Debian's
# crates (tokio 1.24), then wl-tokio and wl-hung again on tokio 1.53 from
# vendor-tokio (make-registry.sh merges it with Debian's registry under
# build/; cargo gets that config with --config, nothing is written to the
# source tree).
workloads:
	$(call msg,CARGO,tests/workloads)
	$(Q)cd tests/workloads && $(CARGO) build -q && $(CARGO) build -q --release && \
		$(CARGO) build -q --profile release-nodebug --workspace --exclude wl-hyper && \
		$(CARGO) build -q --profile release-debuginfo -p wl-tokio -p wl-hung -p wl-join \
			-p wl-async-std -p wl-smol
	$(call msg,CARGO,tests/workloads-tokio-1.53)
	$(Q)vt='$(CATTOP_VENDOR_TOKIO)'; vt=$${vt%/make-registry.sh}; \
	if [ -z "$$vt" ] || [ ! -x "$$vt/make-registry.sh" ]; then \
		echo "make workloads: no vendor-tokio (tokio 1.53): set CATTOP_VENDOR_TOKIO, or put it at ../shared/vendor-tokio or /work/shared/vendor-tokio" >&2; \
		exit 1; fi; \
	mkdir -p $(VENDOR_TOKIO_REGISTRY) && \
	"$$vt/make-registry.sh" $(VENDOR_TOKIO_REGISTRY) > build/vendor-tokio.toml 2>/dev/null && \
	cd tests/workloads-tokio-1.53 && c=--config=$(CURDIR)/build/vendor-tokio.toml && \
		$(CARGO) $$c build -q && $(CARGO) $$c build -q --release && \
		$(CARGO) $$c build -q --profile release-debuginfo

unit-test: $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(OUTPUT)

integration-test: all workloads
	$(Q)python3 tests/integration/run.py --cattop $(OUTPUT)/cattop

# The one command CI and the README run (the plain build too: valgrind runs it).
test: all fuzz-test install-test
	$(Q)$(MAKE) --no-print-directory SAN=1 unit-test integration-test

# `make install` into a temporary DESTDIR, checked: the files, the man page
# (renders without warnings, documents every option of --help) and the bash
# completion (tests/install/test_install.sh).
install-test: all
	$(Q)tests/install/test_install.sh $(OUTPUT)/cattop

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

$(FUZZ_OUT)/fuzz_config: $(call fuzz_objs,config/config util/duration ui/colors model/task_sort \
	export/listen_address)
$(FUZZ_OUT)/fuzz_demangle: $(call fuzz_objs,probe/rust_demangle probe/classify)
$(FUZZ_OUT)/fuzz_elf_symbols: $(call fuzz_objs,probe/elf_symbols probe/rust_demangle probe/classify \
	probe/debug_file)
$(FUZZ_OUT)/fuzz_dwarf_index: $(call fuzz_objs,probe/dwarf_index util/str_pool)
$(FUZZ_OUT)/fuzz_recording: $(call fuzz_objs,recording/recording_reader recording/replay \
	model/poll_tracker model/task_model model/stuck_task probe/site_table probe/coroutine_layout \
	probe/classify probe/rust_demangle probe/dwarf_index util/str_pool probe/dwarf_location \
	probe/elf_symbols probe/site_proof probe/stack_scan probe/target_memory \
	probe/task_type probe/macro_await probe/awaitee_names config/config model/task_sort \
	model/task_wakes export/listen_address \
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

# Installation (GNU conventions: PREFIX, DESTDIR for staging). The default
# config is compiled in: the copy under the doc directory is an example for
# -c FILE. `make deb` builds the Debian package (debian/) into build/deb/.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
DOCDIR      ?= $(DATADIR)/doc/cattop
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
INSTALL     ?= install

install: $(OUTPUT)/cattop
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(BASHCOMPDIR)
	$(Q)$(INSTALL) -m 755 $(OUTPUT)/cattop $(DESTDIR)$(BINDIR)/cattop
	$(Q)$(INSTALL) -m 644 doc/cattop.1 $(DESTDIR)$(MANDIR)/man1/cattop.1
	$(Q)$(INSTALL) -m 644 completion/cattop.bash $(DESTDIR)$(BASHCOMPDIR)/cattop
	$(Q)$(INSTALL) -m 644 config/cattop.ini README.md $(DESTDIR)$(DOCDIR)/

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(BINDIR)/cattop $(DESTDIR)$(MANDIR)/man1/cattop.1 \
		$(DESTDIR)$(BASHCOMPDIR)/cattop $(DESTDIR)$(DOCDIR)/cattop.ini \
		$(DESTDIR)$(DOCDIR)/README.md
	$(Q)rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# The .deb (needs debhelper and dpkg-dev; unsigned), built in a copy of the
# tracked sources under build/deb/ so that the tree and build/ stay as they
# are: build/deb/cattop_VERSION_ARCH.deb.
DEB_DIR := build/deb
deb:
	$(call msg,DEB,$(DEB_DIR))
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	$(Q)git ls-files -z | xargs -0 tar -cf - | tar -xf - -C $(DEB_DIR)/src
	$(Q)cd $(DEB_DIR)/src && dpkg-buildpackage -b -us -uc $(DEB_ARGS)
	$(Q)ls $(DEB_DIR)/*.deb

# The package's files, dependencies and hardening; its cattop runs (~2 min
# with the build: not part of `make test`).
deb-test: deb
	$(Q)tests/install/test_deb.sh

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
