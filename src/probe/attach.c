#include "probe/attach.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bpf/poll_trace.h"
#include "probe/link_release.h"
#include "poll_trace.skel.h"
#include "probe/caller_sites.h"
#include "probe/exit_sites.h"
#include "probe/site_table.h"
#include "util/clock.h"

static bool libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!libbpf_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void probes_set_verbose(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(print_libbpf);
}

/* One attach request: parallel arrays of file offsets, cookies, site ids. */
struct attach_batch {
	unsigned long *offsets;
	__u64 *cookies;
	size_t count;
};

/* returns: the link probes returns (taken out before entries). */
static int add_link(struct probe_set *ps, struct bpf_link *link, bool returns)
{
	struct bpf_link **grown = realloc(ps->links, (ps->link_count + 1) * sizeof(*grown));
	bool *kinds =
	    grown ? realloc(ps->link_returns, (ps->link_count + 1) * sizeof(*kinds)) : NULL;

	if (grown)
		ps->links = grown;
	if (!kinds) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	ps->link_returns = kinds;
	ps->link_returns[ps->link_count] = returns;
	ps->links[ps->link_count++] = link;
	return 0;
}

/* Errors that no subset of the sites would avoid. */
static bool is_global_error(int err)
{
	return err == -EPERM || err == -EACCES || err == -ESRCH || err == -ENOMEM ||
	       err == -ENOENT || err == -EBADF;
}

/* One unprobeable function makes a whole uprobe_multi link fail (e.g. 524,
 * ENOTSUPP), so on failure bisect: attach the halves separately until the
 * offenders are single sites, which are marked rejected. */
static int attach_bisect(struct probe_set *ps, struct bpf_program *prog,
			 const struct attach_opts *opts, const struct attach_batch *b,
			 bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_multi_opts, uo, .offsets = b->offsets, .cookies = b->cookies,
		    .cnt = b->count, .retprobe = retprobe);
	struct attach_batch lo, hi;
	struct bpf_link *link;
	int err;

	if (!b->count)
		return 0;
	link = bpf_program__attach_uprobe_multi(prog, opts->pid, opts->binary, NULL, &uo);
	if (link)
		return add_link(ps, link, prog != ps->skel->progs.poll_enter);
	err = -errno;
	if (is_global_error(err))
		return err;
	if (b->count == 1) {
		ps->rejected[b->cookies[0] & COOKIE_SITE_MASK] = true;
		return 0;
	}
	lo = (struct attach_batch){b->offsets, b->cookies, b->count / 2};
	hi = (struct attach_batch){b->offsets + lo.count, b->cookies + lo.count,
				   b->count - lo.count};
	err = attach_bisect(ps, prog, opts, &lo, retprobe);
	return err ? err : attach_bisect(ps, prog, opts, &hi, retprobe);
}

static bool wanted(const struct probe_set *ps, const struct site *s, size_t i, const bool *only)
{
	if (s->role == SITE_WAKE_DEFERRER)
		return false; /* only a code range: never probed */
	return !ps->rejected[i] && (only ? only[i] : !s->deferred);
}

static int alloc_batch(struct attach_batch *b, size_t n)
{
	b->offsets = calloc(n + 1, sizeof(*b->offsets));
	b->cookies = calloc(n + 1, sizeof(*b->cookies));
	b->count = 0;
	return b->offsets && b->cookies ? 0 : -ENOMEM;
}

static void add_probe(struct attach_batch *b, uint64_t offset, __u64 cookie)
{
	b->offsets[b->count] = offset;
	b->cookies[b->count++] = cookie;
}

static size_t count_caller_probes(const struct probe_set *ps, size_t sites)
{
	size_t i, n = 0;

	for (i = 0; i < sites; i++)
		n += ps->callers[i] ? ps->callers[i]->count : 0;
	return n;
}

/* Fills b with the entries of the wanted sites: those marked in only, or
 * without it, every site not deferred (task ends only then). A site probed
 * in its callers has its entry on each call to it. */
static int collect_entries(const struct site_table *sites, const struct probe_set *ps,
			   const bool *only, struct attach_batch *b)
{
	size_t i, k;

	if (alloc_batch(b, sites->count + count_caller_probes(ps, sites->count)))
		return -ENOMEM;
	for (i = 0; i < sites->count; i++) {
		const struct site *s = &sites->sites[i];
		bool end = s->role == SITE_TASK_END || s->role == SITE_TASK_WAKE;
		__u64 role = s->role == SITE_TASK_END	 ? ROLE_TASK_END
			     : s->role == SITE_TASK_WAKE ? ROLE_TASK_WAKE
			     : s->role == SITE_TASK_POLL ? ROLE_TASK_POLL
							 : ROLE_POLL;

		__u64 self = s->self_in_parm2 ? COOKIE_SELF_IN_PARM2 : 0;

		if (!wanted(ps, s, i, only) || (end && only))
			continue;
		if (!ps->callers[i]) {
			add_probe(b, s->file_offset, i | (role << COOKIE_ROLE_SHIFT) | self);
			continue;
		}
		for (k = 0; k < ps->callers[i]->count; k++)
			add_probe(b, ps->callers[i]->probes[k].call_offset,
				  i | (ROLE_CALL << COOKIE_ROLE_SHIFT) | self);
	}
	return 0;
}

/* A future of those the caller index covers (the session's choice: those
 * the kernel single-steps at their entry, as at their rets) is probed in
 * its callers where that is sound: two emulated hits a poll instead of
 * single-stepped ones. Not if a tail callee of it returns for it: that ret
 * would close the frame before the jump after the call. */
static int try_caller_side(struct probe_set *ps, const struct site_table *sites,
			   const struct attach_opts *opts, size_t i)
{
	const struct site *s = &sites->sites[i];
	const struct exit_list *x = ps->exits[i];
	struct caller_list *c;
	size_t k;

	if (!opts->callers || s->role != SITE_FUTURE || !x ||
	    !caller_index_covers(opts->callers, s->addr))
		return 0;
	for (k = 0; k < x->count; k++)
		if (!x->own[k])
			return 0;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	ps->caller_problem[i] = (unsigned char)caller_index_find(opts->callers, s->addr, c);
	if (ps->caller_problem[i] != CALLER_OK) {
		free(c);
		return 0;
	}
	ps->callers[i] = c;
	ps->caller_sites++;
	return 0;
}

/* Where each wanted site returns, found once by decoding it from its
 * proved start; a site whose code does not decode, or whose returns cannot
 * be found, is rejected before any of its probes goes in. */
static int resolve_exits(struct probe_set *ps, const struct site_table *sites,
			 const struct attach_opts *opts, const bool *only)
{
	size_t i;

	for (i = 0; i < sites->count; i++) {
		const struct site *s = &sites->sites[i];
		enum exit_problem p;

		if (!wanted(ps, s, i, only) || ps->code_checked[i])
			continue;
		ps->code_checked[i] = true;
		if (!opts->exits) {
			p = EXIT_UNDECODABLE;
		} else if (site_entry_only(s) || probes_use_return_probe(sites, i, opts->exits)) {
			/* Only its entry is probed: it must be an instruction start. */
			p = exit_finder_check_code(opts->exits, s->addr, s->size);
		} else {
			ps->exits[i] = malloc(sizeof(*ps->exits[i]));
			if (!ps->exits[i])
				return -ENOMEM;
			p = exit_finder_find(opts->exits, s->addr, s->size, ps->exits[i]);
		}
		if (p != EXIT_OK) {
			ps->exit_problem[i] = (unsigned char)p;
			ps->rejected[i] = true;
			ps->unknown_exit_sites++;
		} else if (try_caller_side(ps, sites, opts, i)) {
			return -ENOMEM;
		}
	}
	return 0;
}

/* The ends of the wanted polls: a return probe for each site in ret_probes,
 * a probe on every ret instruction of the others (in rets), or on the jump
 * after each call to a site probed in its callers. */
static int collect_returns(const struct site_table *sites, const struct probe_set *ps,
			   const struct attach_opts *opts, const bool *only,
			   struct attach_batch *ret_probes, struct attach_batch *rets)
{
	size_t i, n = 0, k;

	for (i = 0; i < sites->count; i++)
		n += ps->exits[i] ? ps->exits[i]->count : 0;
	n += count_caller_probes(ps, sites->count);
	if (alloc_batch(ret_probes, sites->count) || alloc_batch(rets, n))
		return -ENOMEM;
	for (i = 0; i < sites->count; i++) {
		const struct site *s = &sites->sites[i];
		const struct exit_list *x = ps->exits[i];

		if (!wanted(ps, s, i, only) || site_entry_only(s))
			continue;
		if (probes_use_return_probe(sites, i, opts->exits)) {
			add_probe(ret_probes, s->file_offset, i);
			continue;
		}
		if (ps->callers[i]) {
			for (k = 0; k < ps->callers[i]->count; k++)
				add_probe(rets, ps->callers[i]->probes[k].jump_offset,
					  i | ROLE_CALL_RETURNED << COOKIE_ROLE_SHIFT |
					      ps->callers[i]->probes[k].sp_delta
						  << COOKIE_SP_SHIFT);
			continue;
		}
		for (k = 0; x && k < x->count; k++)
			add_probe(rets, x->offsets[k],
				  i | ROLE_RET << COOKIE_ROLE_SHIFT |
				      (x->own[k] ? 0 : COOKIE_TAIL_EXIT));
	}
	return 0;
}

static void free_batch(struct attach_batch *b)
{
	free(b->offsets);
	free(b->cookies);
}

/* Destroys links[from..], all at once (link_release.h). */
static void destroy_links_from(struct probe_set *ps, size_t from)
{
	if (from >= ps->link_count)
		return;
	links_destroy_all(ps->links + from, ps->link_returns + from, ps->link_count - from);
	ps->link_count = from;
}

static void destroy_links(struct probe_set *ps)
{
	destroy_links_from(ps, 0);
}

static int attach_entries(struct probe_set *ps, const struct site_table *sites,
			  const struct attach_opts *opts, const bool *only)
{
	struct attach_batch b;
	int err = collect_entries(sites, ps, only, &b);

	if (!err)
		err = attach_bisect(ps, ps->skel->progs.poll_enter, opts, &b, false);
	free_batch(&b);
	return err;
}

static int attach_returns(struct probe_set *ps, const struct site_table *sites,
			  const struct attach_opts *opts, const bool *only)
{
	struct attach_batch ret_probes = {0}, rets = {0};
	int err = collect_returns(sites, ps, opts, only, &ret_probes, &rets);

	if (!err)
		err = attach_bisect(ps, ps->skel->progs.poll_exit, opts, &ret_probes, true);
	if (!err)
		err = attach_bisect(ps, ps->skel->progs.poll_ret, opts, &rets, false);
	free_batch(&ret_probes);
	free_batch(&rets);
	return err;
}

bool probes_use_return_probe(const struct site_table *sites, size_t site,
			     const struct exit_finder *exits)
{
	if (exits && !exit_finder_binary_unwinds(exits))
		return true;
	return sites->sites[site].role == SITE_TASK_POLL && sites->runtime &&
	       sites->runtime->task_poll_catches_panics;
}

static size_t count_rejected(const struct probe_set *ps, size_t n)
{
	size_t i, r = 0;

	for (i = 0; i < n; i++)
		r += ps->rejected[i];
	return r;
}

/* Entry probes first: a poll entered while the return link goes in then has
 * an entry and no return, which the tracker resynchronises by stack pointer.
 * The other order would give returns without entries, and the futures below
 * them would be credited to the wrong task. If the kernel refuses a return
 * probe that had an entry probe, all links are made again without that
 * site, so no frame is ever opened that can never close. */
static int attach_all(struct probe_set *ps, const struct site_table *sites,
		      const struct attach_opts *opts, const bool *only)
{
	size_t rejected, first_link = ps->link_count;
	int err, tries;

	err = resolve_exits(ps, sites, opts, only);
	for (tries = 0; !err && tries < 3; tries++) {
		err = attach_entries(ps, sites, opts, only);
		if (err)
			return err;
		rejected = count_rejected(ps, sites->count);
		err = attach_returns(ps, sites, opts, only);
		if (!only)
			ps->returns_ready_at = monotonic_now_ns();
		if (err || count_rejected(ps, sites->count) == rejected)
			return err;
		destroy_links_from(ps, first_link);
	}
	return err ? err : -EINVAL;
}

/* A probe at the panic runtime's entry marks where a thread starts
 * unwinding: the polls it leaves never return (the tracker counts them as
 * unwound). It changes nothing in the target; without it they are still
 * closed, as abandoned, by the next event on the thread. */
static void watch_panics(struct probe_set *ps, const struct attach_opts *opts)
{
	unsigned long offset = opts->panic_offset;
	__u64 cookie = ROLE_PANIC << COOKIE_ROLE_SHIFT;
	LIBBPF_OPTS(bpf_uprobe_multi_opts, uo, .offsets = &offset, .cookies = &cookie, .cnt = 1);
	struct bpf_link *link;

	if (!offset)
		return;
	link = bpf_program__attach_uprobe_multi(ps->skel->progs.poll_enter, opts->pid, opts->binary,
						NULL, &uo);
	if (link && !add_link(ps, link, false))
		ps->panics_watched = true;
}

/* The thread clock's programs (thread_clock.bpf.h), before any poll probe
 * so a poll's entry and return read one clock. Without them (a kernel whose
 * BTF lacks task_struct's pid) polls are still timed, their blocked time
 * counted as running, and the events say so. */
static void watch_off_cpu(struct probe_set *ps, const struct attach_opts *opts)
{
	struct bpf_program *progs[] = {ps->skel->progs.thread_switch, ps->skel->progs.thread_wakeup,
				       ps->skel->progs.thread_exit};
	struct bpf_link *link;
	size_t i;

	if (!opts->task_offsets.tgid)
		return;
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		link = bpf_program__attach(progs[i]);
		if (!link || add_link(ps, link, false))
			return;
	}
	ps->skel->bss->thread_clock_on = 1;
	ps->off_cpu_measured = true;
}

static int load_programs(struct probe_set *ps, const struct attach_opts *opts)
{
	int err;

	ps->skel = poll_trace_bpf__open();
	if (!ps->skel)
		return -errno ? -errno : -EINVAL;
	ps->skel->rodata->target_tgid = opts->pid;
	ps->skel->rodata->run_delay_offset = opts->task_offsets.run_delay;
	ps->skel->rodata->task_pid_offset = opts->task_offsets.pid;
	ps->skel->rodata->task_tgid_offset = opts->task_offsets.tgid;
	err = bpf_map__set_max_entries(ps->skel->maps.events, opts->ringbuf_bytes);
	if (err)
		return err;
	return poll_trace_bpf__load(ps->skel);
}

int probes_attach(struct probe_set *ps, const struct site_table *sites,
		  const struct attach_opts *opts, char *err, size_t errlen)
{
	uint64_t start = monotonic_now_ns();
	size_t i;
	int ret;

	memset(ps, 0, sizeof(*ps));
	ps->site_count = sites->count;
	ps->rejected = calloc(sites->count + 1, sizeof(*ps->rejected));
	ps->exits = calloc(sites->count + 1, sizeof(*ps->exits));
	ps->exit_problem = calloc(sites->count + 1, sizeof(*ps->exit_problem));
	ps->code_checked = calloc(sites->count + 1, sizeof(*ps->code_checked));
	ps->callers = calloc(sites->count + 1, sizeof(*ps->callers));
	ps->caller_problem = calloc(sites->count + 1, sizeof(*ps->caller_problem));
	if (!ps->rejected || !ps->exits || !ps->exit_problem || !ps->code_checked || !ps->callers ||
	    !ps->caller_problem) {
		probes_detach(ps);
		return -ENOMEM;
	}
	ret = load_programs(ps, opts);
	if (ret) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-ret),
			 ret == -EPERM ? " (needs CAP_BPF and CAP_PERFMON, or root)" : "");
		goto fail;
	}
	ps->ring =
	    ring_buffer__new(bpf_map__fd(ps->skel->maps.events), opts->on_event, opts->ctx, NULL);
	if (!ps->ring) {
		ret = -errno;
		snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(-ret));
		goto fail;
	}
	/* An exec is marked in the event stream, so nothing after it counts. */
	ret = add_link(ps, bpf_program__attach(ps->skel->progs.process_exec), false);
	if (ret || !ps->links[ps->link_count - 1]) {
		ret = ret ? ret : -errno;
		snprintf(err, errlen, "cannot watch for exec: %s", strerror(-ret));
		goto fail;
	}
	watch_panics(ps, opts);
	watch_off_cpu(ps, opts);
	ps->cycle_from = ps->link_count; /* what probes_pause takes out */
	ret = attach_all(ps, sites, opts, NULL);
	if (ret) {
		snprintf(err, errlen, "cannot attach uprobes to %s: %s", opts->binary,
			 strerror(-ret));
		goto fail;
	}
	ps->base_links = ps->link_count;
	for (i = 0; i < sites->count; i++) {
		ps->rejected_sites += ps->rejected[i];
		ps->attached_sites += wanted(ps, &sites->sites[i], i, NULL); /* probed now */
	}
	ps->attach_ns = monotonic_now_ns() - start;
	return 0;
fail:
	probes_detach(ps);
	return ret;
}

int probes_drain(struct probe_set *ps)
{
	return ps->ring ? ring_buffer__consume(ps->ring) : 0;
}

uint64_t probes_lost_events(const struct probe_set *ps)
{
	return ps->skel && ps->skel->bss
		   ? __atomic_load_n(&ps->skel->bss->lost_events, __ATOMIC_RELAXED)
		   : 0;
}

static void add_run_time(const struct bpf_program *prog, uint64_t *run_ns, uint64_t *run_cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return;
	*run_ns += info.run_time_ns;
	*run_cnt += info.run_cnt;
}

void probes_bpf_run_time(const struct probe_set *ps, uint64_t *run_ns, uint64_t *run_cnt)
{
	*run_ns = *run_cnt = 0;
	if (!ps->skel)
		return;
	add_run_time(ps->skel->progs.poll_enter, run_ns, run_cnt);
	add_run_time(ps->skel->progs.poll_exit, run_ns, run_cnt);
}

void probes_narrow(struct probe_set *ps)
{
	destroy_links_from(ps, ps->base_links);
	ps->widened_sites = 0;
}

int probes_widen(struct probe_set *ps, const struct site_table *sites,
		 const struct attach_opts *opts, const bool *want, char *err, size_t errlen)
{
	size_t i;
	int ret;

	probes_narrow(ps);
	ret = attach_all(ps, sites, opts, want);
	if (ret) {
		probes_narrow(ps);
		snprintf(err, errlen, "cannot attach the focused futures' uprobes: %s",
			 strerror(-ret));
		return ret;
	}
	for (i = 0; i < sites->count; i++)
		ps->widened_sites += want[i] && !ps->rejected[i];
	ps->rejected_sites = count_rejected(ps, sites->count);
	return 0;
}

void probes_pause(struct probe_set *ps)
{
	size_t n = ps->link_count > ps->cycle_from ? ps->link_count - ps->cycle_from : 0;
	struct bpf_link **out = n ? malloc(n * sizeof(*out)) : NULL;
	bool *kinds = n ? malloc(n * sizeof(*kinds)) : NULL;

	if (n && (!out || !kinds)) {
		free(out);
		free(kinds);
		destroy_links_from(ps, ps->cycle_from); /* here, then */
	} else if (n) {
		memcpy(out, ps->links + ps->cycle_from, n * sizeof(*out));
		memcpy(kinds, ps->link_returns + ps->cycle_from, n * sizeof(*kinds));
		ps->link_count = ps->cycle_from;
		ps->releasing = links_release_start(out, kinds, n);
	}
	ps->base_links = ps->link_count;
	ps->widened_sites = 0;
	ps->paused = true;
}

bool probes_pause_settled(struct probe_set *ps)
{
	if (!links_release_done(ps->releasing))
		return false;
	links_release_finish(ps->releasing);
	ps->releasing = NULL;
	return true;
}

int probes_resume(struct probe_set *ps, const struct site_table *sites,
		  const struct attach_opts *opts, char *err, size_t errlen)
{
	int ret;

	if (!ps->paused)
		return 0;
	links_release_finish(ps->releasing); /* the old links gone first: no hit twice */
	ps->releasing = NULL;
	ret = attach_all(ps, sites, opts, NULL);
	if (ret) {
		destroy_links_from(ps, ps->cycle_from);
		snprintf(err, errlen, "cannot attach the uprobes again: %s", strerror(-ret));
		return ret;
	}
	ps->base_links = ps->link_count;
	ps->paused = false;
	return 0;
}

void probes_detach(struct probe_set *ps)
{
	size_t i;

	links_release_finish(ps->releasing);
	destroy_links(ps);
	for (i = 0; ps->exits && i < ps->site_count; i++)
		free(ps->exits[i]);
	for (i = 0; ps->callers && i < ps->site_count; i++)
		free(ps->callers[i]);
	free(ps->exits);
	free(ps->callers);
	free(ps->caller_problem);
	free(ps->exit_problem);
	free(ps->code_checked);
	free(ps->links);
	free(ps->link_returns);
	ring_buffer__free(ps->ring);
	poll_trace_bpf__destroy(ps->skel);
	free(ps->rejected);
	memset(ps, 0, sizeof(*ps));
}
