#include "session/session.h"

#include "model/task_lints.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/poll_trace.h"
#include "model/await_chain.h"
#include "probe/code_lines.h"
#include "session/wake_callers.h"
#include "probe/coroutine_layout.h"
#include "probe/dwarf_index.h"
#include "probe/caller_sites.h"
#include "probe/exit_sites.h"
#include "probe/kernel_btf.h"
#include "probe/probe_cost.h"
#include "probe/rust_demangle.h"
#include "probe/site_cache.h"
#include "probe/site_proof.h"
#include "probe/stack_scan.h"
#include "probe/target_memory.h"
#include "recording/recorder.h"
#include "recording/replay.h"
#include "session/link_handoff.h"
#include "session/target_symbols.h"
#include "util/safe_text.h"

/* Threads found dead at one tick, for the recording. */
#define MAX_DEAD_PER_TICK 1024

static int on_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (size < sizeof(struct poll_event))
		return 0;
	if (s->recorder)
		recorder_event(s->recorder, data);
	poll_tracker_handle(&s->tracker, data);
	return 0;
}

static int open_target(struct session *s, const struct session_opts *opts, char *err, size_t errlen)
{
	if (opts->argv)
		return target_launch(&s->target, opts->argv, err, errlen);
	return target_open_pid(&s->target, opts->pid, err, errlen);
}

/* Everything DWARF says about the sites: kinds, lines, state machines,
 * inlined futures. The slow part of starting on a big debug build. */
static int scan_sites(struct session *s, const struct site_scan_opts *so, char *err, size_t errlen)
{
	int ret;

	if (s->dwarf_path[0] && dwarf_index_open(s->dwarf_path, &s->dwarf))
		s->dwarf_path[0] = '\0';
	ret = site_table_build(&s->symbols, s->dwarf, so, &s->sites, err, errlen);
	if (ret || !s->dwarf)
		return ret;
	coroutine_layouts_read(s->dwarf_path, s->dwarf, &s->sites);
	if (site_table_count_role(&s->sites, SITE_FUTURE))
		inlined_futures_read(s->dwarf_path, &s->sites, &s->inlined);
	return 0;
}

/* The sites, from the cache when this build was scanned before. */
static int find_sites(struct session *s, const struct session_opts *opts,
		      const struct site_scan_opts *so, char *err, size_t errlen)
{
	struct site_cache_key key = {s->target.binary, s->dwarf_path, so};
	int ret;

	s->sites_cached =
	    !opts->no_cache && site_cache_load(&key, &s->symbols, &s->sites, &s->inlined) == 0;
	if (s->sites_cached)
		return 0;
	ret = scan_sites(s, so, err, errlen);
	if (!ret && !opts->no_cache)
		site_cache_store(&key, &s->sites, &s->inlined);
	return ret;
}

/* What it takes to say where idle tasks are parked; all optional. */
static void read_await_info(struct session *s)
{
	/* Code addresses seen at run time need it; a launched command that
	 * has not exec'd yet has no mapping of its own: its bias is found
	 * after the release. */
	s->code_bias_known =
	    target_code_bias(s->target.pid, s->target.exe, &s->symbols, &s->code_bias) == 0;
	if (s->dwarf_path[0])
		code_lines_open(s->dwarf_path, &s->lines);
}

static int read_target(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct session *s = ctx;

	return target_read_memory(s->target.pid, addr, buf, len);
}

static const char *call_site_line(void *ctx, uint64_t ret)
{
	const struct session *s = ctx;

	return s->code_bias_known ? code_lines_call_site(s->lines, ret - (uint64_t)s->code_bias)
				  : NULL;
}

void session_frame_name(const struct session *s, uint64_t vaddr, bool innermost, char *buf,
			size_t len)
{
	const struct elf_symbol *sym = symbol_at(&s->symbols, vaddr);
	char *name = sym ? rust_demangle_path(sym->name) : NULL;
	/* A return address's line is the call's, just before it. */
	const char *line = s->lines ? code_lines_call_site(s->lines, vaddr + innermost) : NULL;

	snprintf(buf, len, "%s%s%s%s",
		 name  ? name
		 : sym ? sym->name
		       : "??",
		 line ? " (" : "", line ? line : "", line ? ")" : "");
	free(name);
}

double session_probe_cost_pct(const struct session *s, uint64_t now)
{
	uint64_t elapsed = now > s->started_ns ? now - s->started_ns : 0;

	if (s->light)
		return light_feed_cost_pct(s, now);
	if (!elapsed || !s->tracker.site_hits)
		return 0;
	return 100.0 * (double)probe_cost_ns(&s->sites, s->tracker.site_hits) / (double)elapsed;
}

size_t session_single_step_sites(const struct session *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->sites.count; i++)
		n += s->sites.sites[i].single_step;
	return n;
}

bool session_await_source(const struct session *s, struct await_source *src)
{
	if (s->replay || !s->attached || s->target.exited)
		return false;
	src->read_memory = read_target;
	src->call_site = s->lines ? call_site_line : NULL;
	src->ctx = (void *)s; /* only read through */
	return true;
}

void session_lint_ctx(const struct session *s, uint64_t now, struct await_source *src,
		      struct lint_ctx *c)
{
	c->m = &s->model;
	c->sites = &s->sites;
	c->src = session_await_source(s, src) ? src : NULL;
	c->now = now;
}

/* std's panic runtime starts every unwind here (any mangling); 0 if the
 * binary has none (built with panic = "abort"), or if its start is not
 * proved (site_proof.h): that probe is placed like any other. */
static uint64_t panic_entry_offset(const struct elf_symbols *syms)
{
	const struct elf_symbol *sym;
	size_t i;

	for (i = 0; i < syms->count; i++) {
		sym = &syms->syms[i];
		if (strstr(sym->name, "__rust_start_panic"))
			return site_placement_proven(syms, sym->addr, sym->file_offset)
				   ? sym->file_offset
				   : 0;
	}
	return 0;
}

static struct attach_opts attach_opts_of(struct session *s)
{
	return (struct attach_opts){
	    .binary = s->target.binary,
	    .pid = s->target.pid,
	    .ringbuf_bytes = s->cfg->ringbuf_bytes,
	    .task_offsets = s->task_offsets,
	    .on_event = on_event,
	    .ctx = s,
	    .exits = s->exits,
	    .callers = s->callers,
	    .panic_offset = panic_entry_offset(&s->symbols),
	};
}

/* How each probed site is timed, for the cost estimate (probe_cost.h). */
static void mark_probe_kinds(struct session *s)
{
	size_t i;

	for (i = 0; i < s->sites.count; i++) {
		struct site *site = &s->sites.sites[i];

		site->caller_probed = s->probes.callers && s->probes.callers[i];
		site->ret_probed = !site_entry_only(site) && !site->caller_probed &&
				   !probes_use_return_probe(&s->sites, i, s->exits);
	}
}

int session_widen(struct session *s, const bool *want, char *err, size_t errlen)
{
	struct attach_opts ao = attach_opts_of(s);
	int ret = probes_widen(&s->probes, &s->sites, &ao, want, err, errlen);

	mark_probe_kinds(s);
	return ret;
}

/* The futures whose entry the kernel single-steps are looked for in their
 * callers (caller_sites.h): one pass over the whole binary's code. Without
 * it (no such future, or it cannot be read) they keep their own probes.
 * Where most probed functions start that way (a plain debug build) so are
 * the other futures (a large frame aligned by `push %rbp` first): their
 * entry is emulated but their rets are single-stepped, and such code
 * follows each call with a jump. A release build's futures (push-emulated
 * entries) keep their probes. */
static void find_callers(struct session *s)
{
	uint64_t *targets = calloc(s->sites.count + 1, sizeof(*targets));
	uint64_t *probed = calloc(s->sites.count + 1, sizeof(*probed));
	bool debug_build = 2 * session_single_step_sites(s) > s->sites.count;
	size_t i, n = 0;

	for (i = 0; targets && probed && i < s->sites.count; i++) {
		probed[i] = s->sites.sites[i].addr;
		if (s->sites.sites[i].role == SITE_FUTURE &&
		    (s->sites.sites[i].single_step || debug_build))
			targets[n++] = s->sites.sites[i].addr;
	}
	if (n && caller_index_build(&s->callers, s->target.binary, &s->symbols, targets, n, probed,
				    s->sites.count))
		s->callers = NULL;
	free(targets);
	free(probed);
}

int session_attach_probes(struct session *s, char *err, size_t errlen)
{
	struct attach_opts ao = attach_opts_of(s);
	int ret;

	if (!have_bpf_privileges()) {
		snprintf(err, errlen,
			 "attaching probes needs CAP_BPF and CAP_PERFMON (or root): run with sudo");
		return -EPERM;
	}
	ret = exit_finder_open(&s->exits, s->target.binary, &s->symbols);
	if (ret) {
		snprintf(err, errlen, "cannot read the code of %s: %s", s->target.binary,
			 strerror(-ret));
		return ret;
	}
	ao.exits = s->exits;
	if (!s->callers)
		find_callers(s);
	ao.callers = s->callers;
	/* Without them polls are timed by the wall clock alone, preemption
	 * included, as on a kernel without scheduler statistics, and their
	 * blocked time is not told from their running time. */
	kernel_task_offsets("/sys/kernel/btf/vmlinux", &s->task_offsets);
	if (!s->cfg->split) /* no thread clock: no program on every context switch */
		s->task_offsets.pid = s->task_offsets.tgid = 0;
	ao.task_offsets = s->task_offsets;
	ret = probes_attach(&s->probes, &s->sites, &ao, err, errlen);
	s->model.blocked_measured = !ret && s->probes.off_cpu_measured;
	if (!ret)
		mark_probe_kinds(s);
	return ret;
}

int session_resume_probes(struct session *s, char *err, size_t errlen)
{
	struct attach_opts ao = attach_opts_of(s);

	return probes_resume(&s->probes, &s->sites, &ao, err, errlen);
}

/* Probes in, the focus widened, the stack watch on, and a launched command
 * let go: everything that touches the target. */
static int attach_session(struct session *s, const struct session_opts *opts, char *err,
			  size_t errlen)
{
	int ret;

	task_model_init(&s->model, s->cfg->threshold_ns, s->cfg->retain_done_ns,
			s->cfg->max_done_tasks);
	poll_tracker_init(&s->tracker, &s->sites, &s->model);
	s->tracker.launch_exec_due = s->target.launched;
	wake_callers_init(s);
	/* Known at attach or not at all (a launched command's comes after its
	 * exec): a recording says the same to its replay. */
	s->tracker.code_bias = s->code_bias;
	s->tracker.code_bias_known = s->code_bias_known;
	s->started_ns = monotonic_now_ns();
	s->model.rows_for_all_walked = s->light; /* no poll will show them */
	ret = s->light ? 0 : session_attach_probes(s, err, errlen);
	if (ret)
		return ret;
	s->attached = true;
	s->model.attached_at = monotonic_now_ns();
	s->tracker.returns_ready_at = s->probes.returns_ready_at;
	s->focus_glob = opts->focus;
	if (opts->focus) {
		ret = focus_matching(s, opts->focus, err, errlen);
		if (ret)
			return ret;
	}
	if (s->light)
		light_feed_start(s); /* starts the stack watch when a poll wedges */
	else
		stack_watch_start(&s->stacks, s); /* optional: cattop works on without */
	if (!s->light)
		duty_cycle_start(s, opts->duty_pct);
	ret = target_release(&s->target);
	if (ret)
		snprintf(err, errlen, "cannot start %s: %s", s->target.exe, strerror(-ret));
	return ret;
}

/* Functions cattop would have probed but could not prove the start of. */
static void report_unproven(const struct session *s)
{
	char msg[5000];

	if (!s->sites.unproven)
		return;
	snprintf(msg, sizeof(msg),
		 "%zu functions not probed: their start in %s is not proved by its symbols and "
		 "program headers (first: %s)",
		 s->sites.unproven, s->target.exe, s->sites.unproven_example);
	safe_error(msg); /* the target's names: escaped */
}

/* No known runtime: say what cattop assumed rather than refuse. */
static void report_assumed_runtime(const struct session *s)
{
	if (site_table_runtime_assumed(&s->sites))
		fprintf(stderr,
			"cattop: no known async runtime in the symbols: assuming runtime '%s', "
			"each outermost future poll on a thread is a task\n",
			s->sites.runtime->name);
}

/* The target went away before there was anything to show. */
static void describe_gone(const struct session *s, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 s->target.execed ? "process %d replaced its program (exec) before cattop attached"
				  : "process %d exited before cattop attached",
		 s->target.pid);
}

int session_start(struct session *s, struct config *cfg, const struct session_opts *opts, char *err,
		  size_t errlen)
{
	struct site_scan_opts so = {cfg, opts->runtime, opts->tasks_only};
	uint64_t scan_start;
	int ret;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->light = opts->light;
	probes_set_verbose(opts->verbose);
	ret = open_target(s, opts, err, errlen);
	if (ret) {
		target_close(&s->target);
		return ret;
	}
	scan_start = monotonic_now_ns();
	ret = target_symbols_read(&s->target, opts->debug_file, &s->symbols, s->dwarf_path,
				  sizeof(s->dwarf_path), err, errlen);
	if (!ret)
		ret = find_sites(s, opts, &so, err, errlen);
	/* Optional (cattop works on without); its slow part (the kernel's BTF,
	 * tokio's layout) runs on a thread meanwhile, as the probes go in. */
	if (!ret)
		task_walk_feed_start(s);
	if (!ret) {
		probe_cost_mark_sites(&s->sites, s->target.binary);
		read_await_info(s);
		s->scan_ns = monotonic_now_ns() - scan_start;
		report_unproven(s);
		report_assumed_runtime(s);
		ret = attach_session(s, opts, err, errlen);
		s->ready_ns = monotonic_now_ns(); /* probes in, target released */
		/* Gone while cattop attached: the end of the trace, not an attach
		 * error; the run loop says "exited" (or "exec") as at any time. */
		if (ret && !target_alive(&s->target))
			return 0;
	}
	if (ret) {
		if (!target_alive(&s->target))
			describe_gone(s, err, errlen);
		session_stop(s);
	}
	return ret;
}

int session_drain(struct session *s)
{
	int n;

	if (!s->attached)
		return 0;
	duty_cycle_step(s, monotonic_now_ns());
	n = s->light ? light_feed_drain(s) : probes_drain(&s->probes);
	if (s->code_bias_known && !s->light)
		stack_watch_drain(&s->stacks, s, monotonic_now_ns());
	if (s->recorder) {
		recorder_tick(s->recorder, monotonic_now_ns(), probes_lost_events(&s->probes),
			      false, NULL, 0);
	}
	return n;
}

/* Threads found dead at one tick: reaped once the events they sent before
 * dying are in, and listed in the recording so a replay reaps them at the
 * same point of the event stream. */
struct reaped {
	struct target *target;
	uint32_t tids[MAX_DEAD_PER_TICK];
	size_t count;
};

/* Notes the dead but reaps nothing yet (says every thread exists). */
static int note_dead_thread(uint32_t tid, void *ctx)
{
	struct reaped *r = ctx;
	size_t i;

	if (target_thread_exists(tid, r->target))
		return 1;
	for (i = 0; i < r->count; i++)
		if (r->tids[i] == tid)
			return 1;
	if (r->count < MAX_DEAD_PER_TICK)
		r->tids[r->count++] = tid;
	return 1;
}

static int thread_not_noted_dead(uint32_t tid, void *ctx)
{
	const struct reaped *r = ctx;
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->tids[i] == tid)
			return 0;
	return 1;
}

/* A thread's last events can still be in the ring when it is found gone
 * (sent since the last drain): reaping it first would count its last
 * returns as unmatched, and an entry would bring it back. So: who is
 * dead, then the ring drained, then those reaped; a thread dead before
 * the drain has sent everything it ever will. */
static void reap_dead_threads(struct session *s, struct reaped *dead, uint64_t now)
{
	dead->target = &s->target;
	poll_tracker_reap_threads(&s->tracker, note_dead_thread, dead, now);
	if (!dead->count)
		return;
	probes_drain(&s->probes);
	poll_tracker_reap_threads(&s->tracker, thread_not_noted_dead, dead, now);
}

static void record_worker_names(struct session *s)
{
	size_t i;

	for (i = 0; s->tracker.workers.slots && i <= s->tracker.workers.mask; i++) {
		const struct worker *w = s->tracker.workers.slots[i].value;
		char name[32];

		if (!w || recorder_has_thread(s->recorder, w->tid))
			continue; /* named once: no /proc read a tick */
		thread_comm(s->target.pid, (pid_t)w->tid, name, sizeof(name));
		recorder_thread(s->recorder, w->tid, name);
	}
}

/* The program's load address: unknown for a launched command until it has
 * exec'd; a new one later means it exec'd again, its own binary this time
 * (exec of another program is seen by its inode): what runs now is not
 * what cattop scanned and probed. */
static void watch_for_exec(struct session *s)
{
	int64_t bias;

	if (s->tracker.execed) /* the exec tracepoint said so, in line with the events */
		s->target.execed = true;
	if (s->target.exited || s->target.execed ||
	    target_code_bias(s->target.pid, s->target.exe, &s->symbols, &bias))
		return;
	if (s->code_bias_known && bias != s->code_bias)
		s->target.execed = true;
	s->code_bias = bias;
	s->code_bias_known = true;
}

void session_tick(struct session *s)
{
	uint64_t now = monotonic_now_ns();
	struct reaped *dead;

	if (s->replay)
		return; /* the recording's own ticks do this */
	s->events_lost = probes_lost_events(&s->probes);
	watch_for_exec(s);
	if (s->code_bias_known && !s->target.execed && !s->light)
		stack_watch_tick(&s->stacks, s, now);
	task_walk_feed_tick(s, now);
	light_feed_tick(s, now);
	task_model_prune(&s->model, now);
	dead = calloc(1, sizeof(*dead));
	if (!dead)
		return;
	reap_dead_threads(s, dead, now);
	if (s->recorder) {
		record_worker_names(s);
		recorder_tick(s->recorder, now, s->events_lost, true, dead->tids, dead->count);
	}
	free(dead);
}

uint64_t session_now(const struct session *s)
{
	return s->replay ? s->replay->now : monotonic_now_ns();
}

bool session_target_alive(struct session *s)
{
	if (s->replay)
		return !replay_at_end(s->replay);
	return target_alive(&s->target);
}

void session_thread_name(const struct session *s, uint32_t tid, char *buf, size_t len)
{
	if (s->replay)
		snprintf(buf, len, "%s", recording_thread_name(&s->replay->rec, tid));
	else
		thread_comm(s->target.pid, (pid_t)tid, buf, len);
}

void session_stop(struct session *s)
{
	char err[256];

	if (s->target.execed && s->attached)
		link_handoff_to_child();
	stack_watch_stop(&s->stacks);
	light_feed_stop(s);
	task_walk_feed_stop(s);
	probes_detach(&s->probes);
	exit_finder_close(s->exits);
	s->exits = NULL;
	caller_index_free(s->callers);
	s->callers = NULL;
	if (s->recorder && session_record_stop(s, END_STOPPED, err, sizeof(err)))
		fprintf(stderr, "cattop: %s\n", err);
	if (s->target.launched && !s->target.exited) {
		/* A command cattop started ends with cattop, as under strace; one
		 * that was never released exits by itself when the pipe closes. */
		if (s->target.release_fd >= 0)
			close(s->target.release_fd);
		else
			kill(s->target.pid, SIGTERM);
		s->target.release_fd = -1;
		waitpid(s->target.pid, NULL, 0);
		s->target.exited = true;
	}
	s->attached = false;
	poll_tracker_free(&s->tracker);
	task_model_free(&s->model);
	site_table_free(&s->sites);
	if (s->dwarf)
		dwarf_index_free(s->dwarf);
	s->dwarf = NULL;
	code_lines_free(s->lines);
	s->lines = NULL;
	inlined_futures_free(&s->inlined);
	elf_symbols_free(&s->symbols);
	target_close(&s->target);
	replay_free(s->replay);
	s->replay = NULL;
}

int session_record_start(struct session *s, const char *path, uint64_t max_bytes, char *err,
			 size_t errlen)
{
	if (s->light) {
		snprintf(err, errlen, "light mode sees no polls to record (L: probes again)");
		return -ENOTSUP;
	}
	if (s->duty.pct) {
		snprintf(err, errlen, "a duty-cycled trace has gaps: record without --duty");
		return -ENOTSUP;
	}

	struct recording_meta m = {
	    .pid = s->target.pid,
	    .exe = s->target.exe,
	    .comm = s->target.comm,
	    .runtime = s->sites.runtime->name,
	    .app_crate = s->sites.app_crate,
	    .started_ns = s->started_ns,
	    .returns_ready_at = s->probes.returns_ready_at,
	    .threshold_ns = s->model.threshold_ns,
	    .attach_ns = s->probes.attach_ns,
	    .attached_sites = s->probes.attached_sites,
	    .rejected_sites = s->probes.rejected_sites,
	    .flags = (s->sites.dwarf_used ? RECORDING_DWARF : 0) |
		     (s->tracker.launch_exec_due ? RECORDING_LAUNCH_EXEC : 0) |
		     (s->tracker.code_bias_known ? RECORDING_CODE_BIAS : 0),
	    .code_bias = s->tracker.code_bias,
	    .sites = &s->sites,
	};
	int ret;

	if (s->replay || s->recorder) {
		snprintf(err, errlen,
			 s->replay ? "a replay cannot be recorded" : "already recording");
		return -EBUSY;
	}
	ret = recorder_open(&s->recorder, path, max_bytes, &m, err, errlen);
	if (!ret)
		task_walk_feed_record_start(s, monotonic_now_ns());
	return ret;
}

int session_record_stop(struct session *s, enum recording_end_reason reason, char *err,
			size_t errlen)
{
	int ret;

	if (!s->recorder)
		return 0;
	ret = recorder_close(s->recorder, monotonic_now_ns(), s->events_lost, reason, err, errlen);
	s->recorder = NULL;
	return ret;
}
