#include "run_several.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "export/metrics_collect.h"
#include "export/metrics_server.h"
#include "recording/recorder.h"
#include "report/processes_table.h"
#include "session/session_set.h"
#include "session_options.h"
#include "snapshot/json_snapshot.h"
#include "ui/task_table.h"
#include "ui/tui.h"
#include "util/byte_size.h"
#include "util/duration.h"
#include "util/safe_text.h"

#define DRAIN_PERIOD_NS (50 * NSEC_PER_MSEC)

/* Per-type totals the exporter keeps per process (never going down). */
struct process_metrics {
	pid_t pid;
	struct metrics_collector totals;
};

struct several {
	struct session_set set;
	struct options *o;
	struct metrics_server *metrics;
	struct process_metrics pm[SESSION_SET_MAX];
	size_t npm;
	volatile sig_atomic_t *stop;
	int stdout_error;
};

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};

	nanosleep(&ts, NULL);
}

static struct metrics_collector *totals_of(struct several *r, pid_t pid)
{
	size_t i;

	for (i = 0; i < r->npm; i++)
		if (r->pm[i].pid == pid)
			return &r->pm[i].totals;
	if (r->npm == SESSION_SET_MAX)
		return NULL;
	r->pm[r->npm] = (struct process_metrics){.pid = pid};
	return &r->pm[r->npm++].totals;
}

/* A process dropped from the set takes its series with it. */
static void forget_dropped(struct several *r)
{
	size_t i, j;

	for (i = r->npm; i-- > 0;) {
		for (j = 0; j < r->set.count && r->set.procs[j]->s.target.pid != r->pm[i].pid; j++)
			;
		if (j < r->set.count)
			continue;
		metrics_collector_free(&r->pm[i].totals);
		r->pm[i] = r->pm[--r->npm];
	}
}

static void publish_metrics(struct several *r)
{
	struct metrics_input in[SESSION_SET_MAX];
	size_t i, n = 0, len;
	char *text;

	if (!r->metrics)
		return;
	forget_dropped(r);
	for (i = 0; i < r->set.count; i++) {
		const struct session *s = &r->set.procs[i]->s;
		struct metrics_collector *c = totals_of(r, s->target.pid);

		if (c && !metrics_collect_session(c, s, &in[n]))
			n++;
	}
	if (n && !metrics_text_render_many(in, n, &text, &len))
		metrics_server_publish(r->metrics, text, len);
}

static bool stdout_closed(struct several *r)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};

	if (poll(&p, 1, 0) != 1 || !(p.revents & (POLLERR | POLLHUP)))
		return false;
	r->stdout_error = EPIPE;
	return true;
}

static enum task_sort batch_sort(const struct several *r)
{
	enum task_sort sort = SORT_MAX_POLL;

	task_sort_parse(r->set.cfg->sort, &sort);
	return sort;
}

/* True when stdout failed. */
static bool batch_output(struct several *r, uint64_t now)
{
	int ret;

	publish_metrics(r);
	if (r->o->quiet)
		return false;
	ret = processes_table_print(stdout, &r->set, now, r->o->rows, batch_sort(r));
	if (!ret)
		return false;
	r->stdout_error = -ret;
	if (ret != -EPIPE)
		fprintf(stderr, "cattop: cannot write to stdout: %s\n", strerror(-ret));
	return true;
}

static uint64_t ready_ns(const struct session_set *set)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < set->count; i++)
		if (set->procs[i]->s.ready_ns > t)
			t = set->procs[i]->s.ready_ns;
	return t;
}

static void run_batch(struct several *r)
{
	uint64_t interval = r->set.cfg->interval_ns, next = ready_ns(&r->set) + interval;
	long printed = 0;

	publish_metrics(r);
	while (!*r->stop && !(!r->o->quiet && stdout_closed(r))) {
		uint64_t now = monotonic_now_ns();

		session_set_drain(&r->set);
		if (now >= next) {
			session_set_tick(&r->set, now);
			if (!session_set_alive(&r->set))
				break;
			if (batch_output(r, now))
				return;
			next += interval;
			if (next <= now)
				next = now + interval;
			if (r->o->iterations > 0 && ++printed >= r->o->iterations)
				return;
		}
		sleep_ns(session_set_sleep_ns(&r->set, monotonic_now_ns(),
					      next - now < DRAIN_PERIOD_NS ? next - now
									   : DRAIN_PERIOD_NS));
	}
	if (r->stdout_error)
		return;
	session_set_drain(&r->set);
	session_set_tick(&r->set, monotonic_now_ns());
	batch_output(r, monotonic_now_ns());
}

/* out.rec -> out.PID.rec: each process's recording in a file of its own
 * (a recording is one process's, as replay reads it). */
static void record_path(const char *path, pid_t pid, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	if (dot && (!slash || dot > slash + 1))
		snprintf(buf, len, "%.*s.%d%s", (int)(dot - path), path, (int)pid, dot);
	else
		snprintf(buf, len, "%s.%d", path, (int)pid);
}

/* Starts the recording of each process that has none yet (one found
 * later under --pidof too). */
static void start_recordings(struct several *r)
{
	char path[4200], err[512], comm[160];
	size_t i;

	for (i = 0; i < r->set.count; i++) {
		struct traced_process *p = r->set.procs[i];

		if (p->s.recorder || p->gone || p->recorded)
			continue;
		p->recorded = true;
		record_path(r->o->output_path, p->s.target.pid, path, sizeof(path));
		if (session_record_start(&p->s, path, r->o->max_bytes, err, sizeof(err))) {
			safe_error(err);
			continue;
		}
		fprintf(stderr, "cattop: recording pid %d (%s) to %s\n", p->s.target.pid,
			safe_text(p->s.target.comm, comm, sizeof(comm)), path);
	}
}

static void stop_recording(struct traced_process *p, enum recording_end_reason why)
{
	uint64_t bytes = recorder_bytes(p->s.recorder), events = recorder_events(p->s.recorder);
	char err[512], size[32];

	if (session_record_stop(&p->s, why, err, sizeof(err))) {
		safe_error(err);
		return;
	}
	byte_size_format(bytes, size, sizeof(size));
	fprintf(stderr, "cattop: recorded %s: %llu events (%s), %llu lost%s\n", p->label,
		(unsigned long long)events, size, (unsigned long long)p->s.events_lost,
		why == END_SIZE_LIMIT	   ? ": the size limit was reached"
		: why == END_TARGET_EXITED ? ": the process exited"
					   : "");
}

/* A recording ends on its own when its file is full or its process gone. */
static void end_finished_recordings(struct several *r)
{
	size_t i;

	for (i = 0; i < r->set.count; i++) {
		struct traced_process *p = r->set.procs[i];

		if (!p->s.recorder)
			continue;
		if (recorder_full(p->s.recorder))
			stop_recording(p, END_SIZE_LIMIT);
		else if (p->gone)
			stop_recording(p, END_TARGET_EXITED);
		else if (recorder_error(p->s.recorder))
			stop_recording(p, END_STOPPED);
	}
}

static int run_record(struct several *r)
{
	uint64_t start = ready_ns(&r->set), next = start + r->set.cfg->interval_ns, now = start;
	size_t i;

	start_recordings(r);
	while (!*r->stop && session_set_alive(&r->set) &&
	       !(r->o->duration_ns && now - start >= r->o->duration_ns)) {
		session_set_drain(&r->set);
		now = monotonic_now_ns();
		if (now >= next) {
			session_set_tick(&r->set, now);
			end_finished_recordings(r);
			start_recordings(r);
			next = now + r->set.cfg->interval_ns;
		}
		sleep_ns(DRAIN_PERIOD_NS);
		now = monotonic_now_ns();
	}
	session_set_drain(&r->set);
	session_set_tick(&r->set, monotonic_now_ns());
	end_finished_recordings(r);
	for (i = 0; i < r->set.count; i++)
		if (r->set.procs[i]->s.recorder)
			stop_recording(r->set.procs[i], END_STOPPED);
	return 0;
}

static int finish(struct several *r)
{
	char err[512];
	int ret = 0;

	if (r->o->mode != MODE_RECORD) {
		session_set_drain(&r->set);
		session_set_tick(&r->set, monotonic_now_ns());
	}
	if (r->stdout_error && r->o->snapshot_path && strcmp(r->o->snapshot_path, "-") == 0)
		return 1;
	if (r->o->snapshot_path) {
		ret = snapshot_write_set(&r->set, monotonic_now_ns(), r->o->snapshot_path, err,
					 sizeof(err));
		if (ret && !(ret == -EPIPE && strcmp(r->o->snapshot_path, "-") == 0))
			safe_error(err);
	}
	return ret || r->stdout_error ? 1 : 0;
}

int run_several(struct options *o, struct config *cfg, struct metrics_server *metrics,
		volatile sig_atomic_t *stop)
{
	struct several *r = calloc(1, sizeof(*r));
	struct session_opts so;
	char err[1024];
	int ret = 1;
	size_t i;

	if (!r) {
		fprintf(stderr, "cattop: out of memory\n");
		return 1;
	}
	if (o->mode == MODE_RECORD && strcmp(o->output_path, "-") == 0) {
		fprintf(stderr, "cattop: several processes are recorded to a file each: give -o "
				"FILE, not -\n");
		free(r);
		return 2;
	}
	r->o = o;
	r->metrics = metrics;
	r->stop = stop;
	r->set.stop_flag = stop;
	session_opts_from(o, cfg, metrics != NULL, &so);
	if (session_set_open(&r->set, cfg, &so, o->pids, o->npids, o->pidof, err, sizeof(err))) {
		safe_error(err);
		free(r);
		return 1;
	}
	if (o->mode == MODE_RECORD) {
		ret = run_record(r);
	} else if (o->batch) {
		run_batch(r);
		ret = 0;
	} else {
		struct tui_opts to = {cfg->interval_ns, cfg->color && !o->no_color,
				      task_sort_by_name(cfg->sort), stop};

		ret = tui_run_set(&r->set, &to) ? 1 : 0;
	}
	ret |= finish(r);
	session_set_stop(&r->set);
	for (i = 0; i < r->npm; i++)
		metrics_collector_free(&r->pm[i].totals);
	free(r);
	return ret;
}
