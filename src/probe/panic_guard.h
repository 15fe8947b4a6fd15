/* Keeps a panic in the target from becoming an abort because of cattop's
 * return probes (see src/bpf/panic_fixup.h): a probe at the start of every
 * panic reports the return addresses the kernel replaced and stops the
 * process; a thread of cattop writes them back and lets it go on, a few
 * hundred microseconds later. */
#ifndef CATTOP_PANIC_GUARD_H
#define CATTOP_PANIC_GUARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct elf_symbols;
struct panic_fixup_bpf;
struct bpf_link;
struct ring_buffer;

struct panic_guard {
	pid_t pid;
	struct panic_fixup_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *ring;
	pthread_t thread;
	bool running;
	volatile bool stop;
	uint64_t panics; /* panics handled */
};

/* 0; -ENOENT when the binary has no panic entry (built with panic =
 * "abort": nothing to guard); another -errno when it cannot be set up. */
int panic_guard_attach(struct panic_guard *g, pid_t pid, const char *binary,
		       const struct elf_symbols *syms, int events_fd);
uint64_t panic_guard_panics(const struct panic_guard *g);
void panic_guard_detach(struct panic_guard *g);

#endif
