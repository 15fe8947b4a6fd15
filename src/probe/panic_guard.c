#include "probe/panic_guard.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/uio.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "bpf/panic_fixup.h"
#include "panic_fixup.skel.h"
#include "probe/elf_symbols.h"

/* std's panic runtime starts every unwind here (any mangling). */
static const struct elf_symbol *panic_entry(const struct elf_symbols *syms)
{
	size_t i;

	for (i = 0; i < syms->count; i++)
		if (strstr(syms->syms[i].name, "__rust_start_panic"))
			return &syms->syms[i];
	return NULL;
}

/* The process is stopped (or about to be): put the real return addresses
 * back where the trampoline's are, then let it go on. */
static int on_panic(void *ctx, void *data, size_t size)
{
	struct panic_guard *g = ctx;
	const struct panic_event *e = data;
	uint32_t i, n;

	if (size < sizeof(*e))
		return 0;
	n = e->count < MAX_RETURN_INSTANCES ? e->count : MAX_RETURN_INSTANCES;
	for (i = 0; i < n; i++) {
		struct iovec local = {(void *)&e->slots[i].orig_return, sizeof(__u64)};
		struct iovec remote = {(void *)(uintptr_t)e->slots[i].stack, sizeof(__u64)};

		if (e->slots[i].stack && e->slots[i].orig_return)
			process_vm_writev(g->pid, &local, 1, &remote, 1, 0);
	}
	__atomic_add_fetch(&g->panics, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Every panic reported so far is undone: let the process go on. The flag
 * is cleared before the last look, so a panic after it stops the process
 * again and one before it is undone here. */
static void continue_target(struct panic_guard *g)
{
	__atomic_store_n(&g->skel->bss->stopping, 0, __ATOMIC_SEQ_CST);
	ring_buffer__consume(g->ring);
	kill(g->pid, SIGCONT);
}

/* Its own thread: the target waits, stopped, until this has run. */
static void *watch_panics(void *arg)
{
	struct panic_guard *g = arg;

	while (!g->stop)
		if (ring_buffer__poll(g->ring, 100) > 0)
			continue_target(g);
	return NULL;
}

static int start(struct panic_guard *g, const char *binary, unsigned long offset)
{
	LIBBPF_OPTS(bpf_uprobe_multi_opts, uo, .offsets = &offset, .cnt = 1);
	int err = panic_fixup_bpf__load(g->skel);

	if (err)
		return err;
	g->ring = ring_buffer__new(bpf_map__fd(g->skel->maps.panics), on_panic, g, NULL);
	if (!g->ring)
		return -errno;
	err = pthread_create(&g->thread, NULL, watch_panics, g);
	if (err)
		return -err;
	g->running = true;
	/* A multi link even for one probe: detaching it is quick. */
	g->link = bpf_program__attach_uprobe_multi(g->skel->progs.report_hijacked_returns, g->pid,
						   binary, NULL, &uo);
	return g->link ? 0 : -errno;
}

int panic_guard_attach(struct panic_guard *g, pid_t pid, const char *binary,
		       const struct elf_symbols *syms, int events_fd)
{
	const struct elf_symbol *entry = panic_entry(syms);
	int err;

	memset(g, 0, sizeof(*g));
	if (!entry)
		return -ENOENT;
	g->pid = pid;
	g->skel = panic_fixup_bpf__open();
	if (!g->skel)
		return -errno ? -errno : -EINVAL;
	g->skel->rodata->target_tgid = pid;
	err = bpf_map__reuse_fd(g->skel->maps.events, events_fd);
	if (!err)
		err = start(g, binary, entry->file_offset);
	if (err)
		panic_guard_detach(g);
	return err;
}

uint64_t panic_guard_panics(const struct panic_guard *g)
{
	return __atomic_load_n(&g->panics, __ATOMIC_RELAXED);
}

void panic_guard_detach(struct panic_guard *g)
{
	bpf_link__destroy(g->link);
	g->link = NULL;
	if (g->running) {
		g->stop = true;
		pthread_join(g->thread, NULL);
		/* A panic reported as the link went: never leave it stopped. */
		if (ring_buffer__consume(g->ring) > 0)
			continue_target(g);
	}
	ring_buffer__free(g->ring);
	panic_fixup_bpf__destroy(g->skel);
	memset(g, 0, sizeof(*g));
}
