/* Loads the BPF programs and attaches them to a target's sites with
 * uprobe_multi links (one link per program, not one per function: single
 * uprobe links cost ~125 ms each to detach on this kernel). */
#ifndef CATTOP_ATTACH_H
#define CATTOP_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <bpf/libbpf.h>

#include "probe/kernel_btf.h"

struct site_table;
struct poll_trace_bpf;
struct exit_finder;
struct exit_list;
struct caller_index;
struct caller_list;

struct probe_set {
	struct poll_trace_bpf *skel;
	struct bpf_link **links;
	bool *link_returns; /* per link: it probes returns (add_link) */
	size_t link_count;
	struct ring_buffer *ring;
	size_t attached_sites; /* sites with working probes */
	size_t base_links;     /* links[base_links..] probe the widened sites */
	size_t widened_sites;  /* deferred sites probed now (probes_widen) */
	size_t rejected_sites; /* sites the kernel refused (e.g. unprobeable code) */
	bool *rejected;	       /* per site id */
	/* Per site id, found when the site is first probed: where it returns
	 * (NULL: by a return probe, or not looked at yet), and why its
	 * returns could not be found (then it is rejected, never probed). */
	struct exit_list **exits;
	unsigned char *exit_problem; /* enum exit_problem */
	bool *code_checked;	     /* decoded from its start (exit_sites.h) */
	size_t unknown_exit_sites;
	/* Per site id: the calls to it and the jumps after them that time it
	 * instead of its entry and rets (caller_sites.h), or NULL; why not
	 * (enum caller_problem), for a future whose entry is single-stepped. */
	struct caller_list **callers;
	unsigned char *caller_problem;
	size_t caller_sites; /* sites with caller-side probes */
	size_t site_count;
	bool panics_watched;   /* the panic runtime's entry has its probe */
	bool off_cpu_measured; /* the scheduler-switch program runs (poll_event.off_cpu) */
	uint64_t attach_ns;
	uint64_t returns_ready_at; /* CLOCK_MONOTONIC when the last return link went in */
	size_t cycle_from; /* links[cycle_from..] are the sites' (the exec and panic ones before) */
	bool paused;	   /* the sites' links are out (probes_pause) */
	struct link_release *releasing; /* those links, still going (link_release.h) */
};

struct attach_opts {
	const char *binary; /* path the uprobes go on, e.g. /proc/PID/exe */
	pid_t pid;	    /* only this process is traced */
	size_t ringbuf_bytes;
	struct kernel_task_offsets task_offsets; /* what the probes read of a thread */
	ring_buffer_sample_fn on_event;
	void *ctx;
	struct exit_finder *exits; /* the binary's code: where functions return */
	/* Who calls the futures whose entry is single-stepped; NULL: none is
	 * probed in its callers. */
	struct caller_index *callers;
	/* The panic runtime's entry (__rust_start_panic), 0 if none: a probe
	 * there tells which thread starts unwinding. */
	uint64_t panic_offset;
};

/* Returns 0, or -errno with a one-line reason in err. */
int probes_attach(struct probe_set *ps, const struct site_table *sites,
		  const struct attach_opts *opts, char *err, size_t errlen);
/* Drains what the probes produced since the last call (the probes never wake
 * us: they submit with BPF_RB_NO_WAKEUP, and we poll on a timer). */
int probes_drain(struct probe_set *ps);
uint64_t probes_lost_events(const struct probe_set *ps);
void probes_detach(struct probe_set *ps);

/* Takes every site's probes out (widened ones too) and keeps the rest: the
 * programs, the ring buffer, the exec and panic probes, what was learnt of
 * each site. The links go on a thread of their own (a busy machine makes
 * their grace period last seconds): probes_pause_settled says when they
 * are all gone, and their last events in the ring. probes_resume (waiting
 * for that first) puts them back as at attach (entries before returns,
 * returns_ready_at updated); 0, or -errno with a one-line reason in err
 * (then the probes stay out). Duty-cycled tracing (duty_cycle.h). */
void probes_pause(struct probe_set *ps);
bool probes_pause_settled(struct probe_set *ps);
int probes_resume(struct probe_set *ps, const struct site_table *sites,
		  const struct attach_opts *opts, char *err, size_t errlen);

/* Probes the deferred sites marked in want (indexed by site id) as well,
 * in place of any widened before. Entries go in before returns, as at
 * attach. Returns 0, or -errno with a one-line reason in err. */
int probes_widen(struct probe_set *ps, const struct site_table *sites,
		 const struct attach_opts *opts, const bool *want, char *err, size_t errlen);
/* Takes the widened probes out again. */
void probes_narrow(struct probe_set *ps);

/* Whether site s is timed by a return probe rather than probes on its ret
 * instructions: a panic unwinding through a return-probed frame aborts the
 * target, so only where none can: the task poll of a runtime that catches
 * panics inside it, or any site of a binary that cannot unwind. */
bool probes_use_return_probe(const struct site_table *sites, size_t site,
			     const struct exit_finder *exits);

/* Time the kernel spent in the poll programs and how often they ran, summed
 * over entry and return (both 0 unless kernel.bpf_stats_enabled is 1). */
void probes_bpf_run_time(const struct probe_set *ps, uint64_t *run_ns, uint64_t *run_cnt);

/* libbpf's messages go to stderr only when verbose. */
void probes_set_verbose(bool verbose);

#endif
