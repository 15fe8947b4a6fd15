/* The probe sites of a target: which functions get probes, and what each is
 * (task poll, task end, or a future of some kind, with crate and location). */
#ifndef CATTOP_SITE_TABLE_H
#define CATTOP_SITE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "probe/classify.h"

struct elf_symbols;
struct dwarf_index;
struct coroutine_layout;

enum site_role {
	SITE_TASK_POLL, /* the runtime's per-task poll entry */
	SITE_TASK_END,	/* the runtime frees a task */
	SITE_FUTURE,	/* a future's poll (async fn, block, closure, impl Future) */
	SITE_TASK_WAKE, /* a task is woken (entry only; first argument: the task) */
	/* Not probed: a wake called from its code is the task's own deferred
	 * wake (the site is only a code range, see task_wakes.h). */
	SITE_WAKE_DEFERRER,
};

struct site {
	enum site_role role;
	enum future_kind kind;
	bool app; /* from the application's crates */
	char crate[CRATE_NAME_MAX];
	char *path; /* demangled, e.g. "app::handler::{{closure}}" */
	char *name; /* shown to users, e.g. "app::handler"; a task poll entry's
		     * is the task type it runs, if DWARF says (task_type.h) */
	/* A task poll entry whose task type is a library's future (hyper's
	 * NewSvcTask): the app's futures it is generic over, comma-separated,
	 * or NULL */
	char *type_detail;
	char *location; /* "file:line" from DWARF, or NULL */
	uint64_t addr;
	uint64_t size; /* of its function, from the symbol table: [addr, addr + size) */
	uint64_t file_offset;
	bool self_in_parm2; /* returns through a hidden pointer (see poll_trace.h) */
	bool single_step;   /* its first instruction is single-stepped (probe_cost.h) */
	bool ret_probed;    /* timed by probes on its ret instructions (single-stepped),
			     * not a return probe (exit_sites.h) */
	bool caller_probed; /* probed on the calls to it and the jumps after them
			     * instead (caller_sites.h): both emulated */
	/* A future left unprobed until a task type that reaches it is focused
	 * (--tasks-only, --focus, drill-down: see call_graph.h). */
	bool deferred;
	struct coroutine_layout *layout; /* async fn/block with full DWARF, else NULL */
};

struct site_table {
	struct site *sites; /* index == site id == BPF cookie */
	size_t count;
	size_t capacity;
	const struct runtime_profile *runtime;
	char app_crate[CRATE_NAME_MAX]; /* "" when not found */
	size_t rust_symbols;		/* how many symbols demangled as Rust */
	bool dwarf_used;
	/* Functions chosen for a probe whose start could not be proved
	 * (site_proof.h): left out of the table, never probed. */
	size_t unproven;
	char unproven_example[160]; /* the first of them, for the message */
};

struct site_scan_opts {
	const struct config *cfg;
	const char *runtime; /* a [runtime NAME] of the config, or "auto" */
	bool tasks_only;     /* probe task polls and ends only; futures are deferred */
};

/* Builds the table. Errors (with a one-line message in err):
 * -ENOEXEC not a Rust binary, -ESRCH no known runtime (and no ASSUMED_RUNTIME
 * profile in the config), -EINVAL unknown
 * runtime name, -ENOMEM. */
int site_table_build(const struct elf_symbols *syms, const struct dwarf_index *dwarf,
		     const struct site_scan_opts *opts, struct site_table *out, char *err,
		     size_t errlen);
void site_table_free(struct site_table *table);

/* Only the entry of the site is probed (no return: nothing is timed). */
static inline bool site_entry_only(const struct site *s)
{
	return s->role == SITE_TASK_END || s->role == SITE_TASK_WAKE;
}

size_t site_table_count_role(const struct site_table *table, enum site_role role);
size_t site_table_count_deferred(const struct site_table *table);
/* The config's runtime taken when no other is detected: no task poll entry,
 * each outermost future poll on a thread is a task of its own. */
#define ASSUMED_RUNTIME "any"
/* No known runtime was found in the symbols: the ASSUMED_RUNTIME profile is
 * in use. */
bool site_table_runtime_assumed(const struct site_table *table);

/* The task type a task poll site runs, or NULL if DWARF did not say. */
const char *site_task_type(const struct site *s);

#endif
