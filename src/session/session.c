#include "session/session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/poll_trace.h"
#include "probe/dwarf_index.h"

static int on_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (size >= sizeof(struct poll_event))
		poll_tracker_handle(&s->tracker, data);
	return 0;
}

static int open_target(struct session *s, const struct session_opts *opts, char *err, size_t errlen)
{
	if (opts->argv)
		return target_launch(&s->target, opts->argv, err, errlen);
	return target_open_pid(&s->target, opts->pid, err, errlen);
}

static int read_symbols(struct session *s, char *err, size_t errlen)
{
	const char *exe = s->target.exe;
	int ret = elf_symbols_read(s->target.binary, &s->symbols);

	if (ret == -ENOEXEC) {
		snprintf(err, errlen, "%s: not an ELF executable", exe);
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "cannot read %s: %s", exe, strerror(-ret));
		return ret;
	}
	if (!s->symbols.has_symtab && !s->symbols.built_by_rustc) {
		snprintf(err, errlen, "%s: not a Rust binary (no symbol table, no rustc mark)",
			 exe);
		return -ENOEXEC;
	}
	if (!s->symbols.has_symtab) {
		snprintf(err, errlen,
			 "%s is stripped (no .symtab): cattop needs the symbol table; build with "
			 "strip = false in the Cargo profile and do not run strip on it",
			 exe);
		return -ENOEXEC;
	}
	/* DWARF is a bonus (kinds, locations): its absence is not an error. */
	if (s->symbols.has_debug_info)
		dwarf_index_open(s->target.binary, &s->dwarf);
	return 0;
}

static int attach_probes(struct session *s, char *err, size_t errlen)
{
	struct attach_opts ao = {
	    .binary = s->target.binary,
	    .pid = s->target.pid,
	    .ringbuf_bytes = s->cfg->ringbuf_bytes,
	    .on_event = on_event,
	    .ctx = s,
	};

	if (!have_bpf_privileges()) {
		snprintf(err, errlen,
			 "attaching probes needs CAP_BPF and CAP_PERFMON (or root): run with sudo");
		return -EPERM;
	}
	return probes_attach(&s->probes, &s->sites, &ao, err, errlen);
}

int session_start(struct session *s, struct config *cfg, const struct session_opts *opts, char *err,
		  size_t errlen)
{
	struct site_scan_opts so = {cfg, opts->runtime, opts->tasks_only};
	int ret;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	probes_set_verbose(opts->verbose);
	ret = open_target(s, opts, err, errlen);
	if (ret)
		return ret;
	ret = read_symbols(s, err, errlen);
	if (!ret)
		ret = site_table_build(&s->symbols, s->dwarf, &so, &s->sites, err, errlen);
	if (!ret) {
		task_model_init(&s->model, cfg->threshold_ns, cfg->retain_done_ns,
				cfg->max_done_tasks);
		poll_tracker_init(&s->tracker, &s->sites, &s->model);
		s->started_ns = monotonic_now_ns();
		ret = attach_probes(s, err, errlen);
	}
	if (!ret) {
		s->attached = true;
		s->tracker.returns_ready_at = s->probes.returns_ready_at;
		ret = target_release(&s->target);
		if (ret)
			snprintf(err, errlen, "cannot start %s: %s", s->target.exe, strerror(-ret));
	}
	if (ret)
		session_stop(s);
	return ret;
}

int session_drain(struct session *s)
{
	return s->attached ? probes_drain(&s->probes) : 0;
}

void session_tick(struct session *s)
{
	uint64_t now = monotonic_now_ns();

	s->events_lost = probes_lost_events(&s->probes);
	task_model_prune(&s->model, now);
	poll_tracker_reap_threads(&s->tracker, target_thread_exists, &s->target);
}

void session_stop(struct session *s)
{
	probes_detach(&s->probes);
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
	elf_symbols_free(&s->symbols);
}
