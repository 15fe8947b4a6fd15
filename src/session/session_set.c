#include "session/session_set.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/process_views.h"
#include "probe/pidof.h"
#include "util/safe_text.h"

/* --pidof looks for new processes this often at most (a /proc scan). */
#define SCAN_PERIOD_NS (1 * NSEC_PER_SEC)

static void notify(struct session_set *set, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void notify(struct session_set *set, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (set->notify)
		set->notify(set->notify_ctx, msg);
	else
		fprintf(stderr, "cattop: %s\n", msg);
}

static bool traced(const struct session_set *set, pid_t pid)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (set->procs[i]->s.target.pid == pid && !set->procs[i]->gone)
			return true;
	for (i = 0; i < set->refused_count; i++)
		if (set->refused[i] == pid)
			return true;
	return false;
}

static void label_process(struct traced_process *p)
{
	char comm[160];

	snprintf(p->label, sizeof(p->label), "%.30s:%d",
		 safe_text(p->s.target.comm, comm, sizeof(comm)), p->s.target.pid);
}

static void drop_process(struct session_set *set, size_t i);

/* A slot for one more: the longest exited process goes if all are taken. */
static bool make_room(struct session_set *set)
{
	size_t i, oldest = SESSION_SET_MAX;

	if (set->count < SESSION_SET_MAX)
		return true;
	for (i = 0; i < set->count; i++)
		if (set->procs[i]->gone && (oldest == SESSION_SET_MAX ||
					    set->procs[i]->gone_at < set->procs[oldest]->gone_at))
			oldest = i;
	if (oldest == SESSION_SET_MAX)
		return false;
	drop_process(set, oldest);
	return true;
}

/* Starts tracing pid; 0, or -errno with the reason in err. */
static int add_process(struct session_set *set, pid_t pid, char *err, size_t errlen)
{
	struct session_opts o = set->opts;
	struct traced_process *p;
	int ret;

	if (!make_room(set)) {
		snprintf(err, errlen, "process %d: already tracing %d processes, the most", pid,
			 SESSION_SET_MAX);
		return -ENOSPC;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	o.pid = pid;
	ret = session_start(&p->s, set->cfg, &o, err, errlen);
	if (ret) {
		free(p);
		return ret;
	}
	p->s.stop_flag = set->stop_flag;
	label_process(p);
	set->procs[set->count++] = p;
	return 0;
}

static void refuse(struct session_set *set, pid_t pid)
{
	if (set->refused_count < SESSION_SET_MAX)
		set->refused[set->refused_count++] = pid;
}

/* --pidof: the processes of that name not traced yet. Returns how many
 * were attached. */
static size_t scan_for_new(struct session_set *set)
{
	pid_t found[SESSION_SET_MAX * 2];
	char err[1024];
	size_t added = 0;
	int i, n;

	n = pidof_find(set->pidof, found, sizeof(found) / sizeof(found[0]));
	for (i = 0; i < n && i < (int)(sizeof(found) / sizeof(found[0])); i++) {
		if (traced(set, found[i]))
			continue;
		if (add_process(set, found[i], err, sizeof(err))) {
			refuse(set, found[i]);
			notify(set, "%s: not traced", err);
			continue;
		}
		added++;
	}
	return added;
}

int session_set_open(struct session_set *set, struct config *cfg, const struct session_opts *opts,
		     const pid_t *pids, size_t npids, const char *pidof, char *err, size_t errlen)
{
	const volatile sig_atomic_t *stop = set->stop_flag;
	size_t i;
	int ret;

	memset(set, 0, sizeof(*set));
	set->cfg = cfg;
	set->opts = *opts;
	set->pidof = pidof;
	set->stop_flag = stop;
	/* Every pid checked before any is attached: a typo in the list costs
	 * the others nothing. */
	for (i = 0; i < npids; i++) {
		struct target t;

		ret = target_open_pid(&t, pids[i], err, errlen);
		target_close(&t);
		if (ret)
			return ret;
	}
	for (i = 0; i < npids; i++) {
		ret = add_process(set, pids[i], err, errlen);
		if (ret) {
			session_set_stop(set);
			return ret;
		}
	}
	if (pidof)
		scan_for_new(set);
	if (!set->count) {
		snprintf(err, errlen, "no process named '%s' is running", pidof ? pidof : "");
		session_set_stop(set);
		return -ESRCH;
	}
	set->next_scan_ns = monotonic_now_ns() + SCAN_PERIOD_NS;
	return 0;
}

void session_set_drain(struct session_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		session_drain(&set->procs[i]->s);
}

static void note_gone(struct session_set *set, struct traced_process *p, uint64_t now)
{
	p->gone = true;
	p->gone_at = now;
	if (p->s.target.execed)
		notify(set, "process %d replaced its program (exec): tracing the others",
		       p->s.target.pid);
	else
		notify(set, "process %s exited%s", p->label,
		       session_set_alive(set) ? ": tracing the others" : "");
}

/* An exited process's rows go after a while, and at once when its slot
 * is wanted: its probes and memory with them. */
static void drop_process(struct session_set *set, size_t i)
{
	session_stop(&set->procs[i]->s);
	free(set->procs[i]);
	memmove(&set->procs[i], &set->procs[i + 1], (set->count - i - 1) * sizeof(set->procs[0]));
	set->count--;
}

void session_set_tick(struct session_set *set, uint64_t now)
{
	size_t i;

	for (i = 0; i < set->count; i++) {
		struct traced_process *p = set->procs[i];

		session_tick(&p->s);
		if (!p->gone && !session_target_alive(&p->s))
			note_gone(set, p, now);
	}
	for (i = set->count; i-- > 0;)
		if (set->procs[i]->gone && now - set->procs[i]->gone_at >= SESSION_GONE_RETAIN_NS)
			drop_process(set, i);
	if (set->pidof && now >= set->next_scan_ns) {
		size_t before = set->count;

		if (scan_for_new(set))
			for (i = before; i < set->count; i++)
				notify(set, "process %s started: attached", set->procs[i]->label);
		set->next_scan_ns = now + SCAN_PERIOD_NS;
	}
}

bool session_set_alive(const struct session_set *set)
{
	size_t i;

	if (set->pidof)
		return true;
	for (i = 0; i < set->count; i++)
		if (!set->procs[i]->gone)
			return true;
	return false;
}

uint64_t session_set_sleep_ns(struct session_set *set, uint64_t now, uint64_t max)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (!set->procs[i]->gone)
			max = duty_cycle_sleep_ns(&set->procs[i]->s, now, max);
	return max;
}

void session_set_stop(struct session_set *set)
{
	while (set->count)
		drop_process(set, set->count - 1);
}

size_t session_set_model_refs(const struct session_set *set, struct model_ref *refs,
			      struct await_source *srcs)
{
	size_t i;

	for (i = 0; i < set->count; i++) {
		const struct session *s = &set->procs[i]->s;

		refs[i].m = &s->model;
		refs[i].sites = &s->sites;
		refs[i].src = session_await_source(s, &srcs[i]) ? &srcs[i] : NULL;
	}
	return set->count;
}
