/* cattop: attaches to an async Rust process and shows, live, its tasks and
 * the futures inside them, with polls, busy time, longest and in-flight poll. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "export/export.h"
#include "export/metrics_collect.h"
#include "export/metrics_server.h"
#include "options.h"
#include "probe/caller_sites.h"
#include "recording/recorder.h"
#include "recording/replay.h"
#include "run_several.h"
#include "session_options.h"
#include "report/batch_table.h"
#include "session/session.h"
#include "snapshot/json_snapshot.h"
#include "ui/colors.h"
#include "ui/terminal_check.h"
#include "ui/task_table.h"
#include "ui/tui.h"
#include "util/byte_size.h"
#include "util/duration.h"
#include "util/safe_text.h"

/* The ring buffer is drained this often between refreshes; it bounds how
 * stale an in-flight poll can be and how full the buffer can get. */
#define DRAIN_PERIOD_NS (50 * NSEC_PER_MSEC)

static volatile sig_atomic_t stop_requested;

/* Why batch output stopped: the errno of a failed write to stdout, or 0. */
static int stdout_error;

/* --listen: the endpoint and the per-type totals it shows. */
static struct metrics_server *metrics;
static struct metrics_collector metrics_totals;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int load_config(struct config *cfg, const struct options *o)
{
	char err[512];

	config_color_hook = color_role_set; /* before the built-in [colors] is read */
	if (config_init(cfg))
		return -1;
	if (o->config_path && config_load_file(cfg, o->config_path, err, sizeof(err))) {
		safe_error(err);
		config_free(cfg);
		return -1;
	}
	if (o->threshold_set)
		cfg->threshold_ns = o->threshold_ns;
	if (o->interval_ns)
		cfg->interval_ns = o->interval_ns;
	if (o->sort)
		snprintf(cfg->sort, sizeof(cfg->sort), "%s", o->sort);
	if (o->no_wakes)
		cfg->wakes = false;
	if (o->no_split)
		cfg->split = false;
	if (o->scope)
		cfg->scope = strcmp(o->scope, "all") == 0 ? SCOPE_ALL : SCOPE_APP;
	if (o->exclude && config_add_exclude(cfg, o->exclude)) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};

	nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

/* How a command cattop started ended by itself, for the message. */
static void describe_exit(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static void report_gone(const struct session *s)
{
	char msg[4400], how[96];

	if (s->target.execed)
		snprintf(msg, sizeof(msg),
			 "process %d replaced its program (exec): what it runs now is not traced",
			 s->target.pid);
	else if (s->target.launched && s->target.exited) {
		describe_exit(s->target.exit_status, how, sizeof(how));
		snprintf(msg, sizeof(msg), "%s (pid %d) %s", s->target.exe, s->target.pid, how);
	} else
		snprintf(msg, sizeof(msg), "process %d exited", s->target.pid);
	safe_error(msg);
}

/* A command cattop started that ended by itself: its status is cattop's,
 * as with time and strace (128 + N when signal N killed it). */
static int command_status(const struct session *s)
{
	int st = s->target.exit_status;

	if (!s->target.launched || !s->target.exited)
		return 0;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WIFEXITED(st) ? WEXITSTATUS(st) : 0;
}

/* Batch output nobody can read ends cattop, so the target is not probed
 * for nothing: silently for a closed pipe, as `top -b | head` does, with
 * the reason otherwise (a full disk). */
static bool print_failed(int ret)
{
	if (!ret)
		return false;
	stdout_error = -ret;
	if (ret != -EPIPE)
		fprintf(stderr, "cattop: cannot write to stdout: %s\n", strerror(-ret));
	return true;
}

/* The reader of the pipe on stdout has gone (`| head` has its lines):
 * known at once, not at the next table, which may be minutes away. */
static bool stdout_closed(void)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};

	if (poll(&p, 1, 0) != 1 || !(p.revents & (POLLERR | POLLHUP)))
		return false;
	stdout_error = EPIPE;
	return true;
}

/* -s, else the config's sort (as the live view starts with). */
static enum task_sort batch_sort(const struct session *s)
{
	enum task_sort sort = SORT_MAX_POLL;

	task_sort_parse(s->cfg->sort, &sort);
	return sort;
}

/* The metrics for the next scrapes, rendered here on the main thread: the
 * HTTP thread only copies the text. A failure keeps the last text. */
static void publish_metrics(const struct session *s)
{
	struct metrics_input in;
	char *text;
	size_t len;

	if (!metrics)
		return;
	metrics_collect_session(&metrics_totals, s, &in);
	if (!metrics_text_render(&in, &text, &len))
		metrics_server_publish(metrics, text, len);
}

/* A refresh's output: the table (unless -q or headless) and the metrics.
 * True when stdout failed. */
static bool batch_output(const struct session *s, const struct options *o, uint64_t now)
{
	publish_metrics(s);
	if (o->quiet)
		return false;
	return print_failed(batch_table_print(stdout, s, now, o->rows, batch_sort(s)));
}

/* Runs until -n refreshes, a stop signal, the target's exit, or stdout
 * failing. */
static void run_batch(struct session *s, const struct options *o)
{
	/* The first table covers an interval of tracing, however long the
	 * attach took. */
	uint64_t interval = s->cfg->interval_ns, next = s->ready_ns + interval;
	long printed = 0;

	publish_metrics(s); /* scrapes get the attached state at once */
	while (!stop_requested && !(!o->quiet && stdout_closed())) {
		uint64_t now = monotonic_now_ns();

		session_drain(s);
		if (!session_target_alive(s)) {
			report_gone(s);
			break;
		}
		if (now >= next) {
			session_tick(s);
			if (batch_output(s, o, now))
				return;
			next += interval;
			if (next <= now)
				next = now + interval;
			if (o->iterations > 0 && ++printed >= o->iterations)
				return;
		}
		/* From now, not the loop's start: a table printed since must not
		 * make a duty window late. */
		sleep_ns(duty_cycle_sleep_ns(s, monotonic_now_ns(),
					     next - now < DRAIN_PERIOD_NS ? next - now
									  : DRAIN_PERIOD_NS));
	}
	if (stdout_error)
		return;
	/* Stopped early or the target is gone: show the last state once. */
	session_drain(s);
	session_tick(s);
	batch_output(s, o, monotonic_now_ns());
}

/* A replay in batch mode: a table per interval of recorded time, as fast as
 * it can be computed, then the state at the recording's end. */
static void run_replay_batch(struct session *s, const struct options *o)
{
	uint64_t interval = s->cfg->interval_ns, end = session_replay_end(s);
	uint64_t t = s->started_ns + interval;
	long printed = 0;

	for (; t < end && !stop_requested; t += interval) {
		session_seek(s, t);
		if (batch_output(s, o, t))
			return;
		if (o->iterations > 0 && ++printed >= o->iterations)
			return;
	}
	session_seek(s, end);
	batch_output(s, o, end);
}

static const char *end_reason_text(enum recording_end_reason r)
{
	switch (r) {
	case END_SIZE_LIMIT:
		return "the size limit was reached";
	case END_TARGET_EXITED:
		return "the process exited";
	default:
		return NULL;
	}
}

/* Why a recording should stop now, if it should. */
static bool record_should_stop(struct session *s, const struct options *o, uint64_t now,
			       enum recording_end_reason *why)
{
	if (recorder_full(s->recorder)) {
		*why = END_SIZE_LIMIT;
		return true;
	}
	if (!session_target_alive(s)) {
		*why = END_TARGET_EXITED;
		report_gone(s);
		return true;
	}
	*why = END_STOPPED;
	return stop_requested || recorder_error(s->recorder) ||
	       (o->duration_ns && now - s->ready_ns >= o->duration_ns);
}

static int run_record(struct session *s, const struct options *o)
{
	uint64_t next = s->ready_ns + s->cfg->interval_ns, now = s->ready_ns, bytes, events;
	enum recording_end_reason why;
	const char *reason;
	char err[512], size[32], comm[160];
	int ret;

	fprintf(stderr, "cattop: recording pid %d (%s) to %s%s\n", s->target.pid,
		safe_text(s->target.comm, comm, sizeof(comm)), o->output_path,
		o->duration_ns ? "" : "; Ctrl-C stops");
	while (!record_should_stop(s, o, now, &why)) {
		session_drain(s);
		now = monotonic_now_ns();
		if (now >= next) {
			session_tick(s);
			next = now + s->cfg->interval_ns;
		}
		sleep_ns(DRAIN_PERIOD_NS);
		now = monotonic_now_ns();
	}
	session_drain(s);
	session_tick(s);
	bytes = recorder_bytes(s->recorder);
	events = recorder_events(s->recorder);
	ret = session_record_stop(s, why, err, sizeof(err));
	if (ret) {
		safe_error(err);
		return 1;
	}
	reason = end_reason_text(why);
	byte_size_format(bytes, size, sizeof(size));
	fprintf(stderr, "cattop: recorded %.2fs, %llu events (%s), %llu lost, to %s%s%s\n",
		(double)(now - s->started_ns) / NSEC_PER_SEC, (unsigned long long)events, size,
		(unsigned long long)s->events_lost, o->output_path, reason ? ": " : "",
		reason ? reason : "");
	return 0;
}

static int finish(struct session *s, const struct options *o)
{
	char err[512];
	int ret = 0;

	/* A recording's snapshot shows what the file holds: nothing after it. */
	if (o->mode != MODE_RECORD) {
		session_drain(s);
		session_tick(s);
	}
	/* Where the tables could not go, the snapshot cannot either: one
	 * message is enough. */
	if (stdout_error && o->snapshot_path && strcmp(o->snapshot_path, "-") == 0)
		return 1;
	if (o->snapshot_path) {
		ret = snapshot_write(s, session_now(s), o->snapshot_path, err, sizeof(err));
		if (ret && !(ret == -EPIPE && strcmp(o->snapshot_path, "-") == 0))
			safe_error(err);
	}
	return ret || stdout_error ? 1 : 0;
}

/* The probes the kernel must single-step, and the futures spared that by
 * probes in their callers (said only where there are some). */
static void report_single_steps(const struct session *s)
{
	char callers[160] = "";

	if (s->probes.caller_sites)
		snprintf(callers, sizeof(callers),
			 "; %zu futures are probed in their callers instead (two emulated hits "
			 "a poll)",
			 s->probes.caller_sites);
	fprintf(stderr,
		"cattop: %zu of %zu probed functions start with an instruction the kernel "
		"single-steps (~12.5us a hit, not ~1.4us)%s: -C force-frame-pointers=yes makes "
		"them cheap\n",
		session_single_step_sites(s), s->sites.count, callers);
}

/* -v: the futures whose entry is single-stepped that keep their own probes
 * rather than probes in their callers, and why (caller_sites.h). */
static void report_caller_side(const struct session *s)
{
	char msg[600];
	size_t i;

	for (i = 0; s->probes.caller_problem && i < s->sites.count; i++) {
		if (!s->probes.caller_problem[i])
			continue;
		snprintf(msg, sizeof(msg), "%s keeps its own probes, not its callers': %s",
			 s->sites.sites[i].path,
			 caller_problem_str((enum caller_problem)s->probes.caller_problem[i]));
		safe_error(msg); /* the target's names: escaped */
	}
}

static int open_session(struct session *s, struct config *cfg, const struct options *o)
{
	struct session_opts so;
	char err[1024];
	int ret;

	session_opts_from(o, cfg, metrics != NULL, &so);
	if (o->mode == MODE_REPLAY)
		ret = session_open_replay(s, cfg, o->input_path,
					  o->threshold_set ? o->threshold_ns : 0, err, sizeof(err));
	else
		ret = session_start(s, cfg, &so, err, sizeof(err));
	s->stop_flag = &stop_requested;
	if (!ret && o->mode == MODE_RECORD)
		ret = session_record_start(s, o->output_path, o->max_bytes, err, sizeof(err));
	if (ret) {
		safe_error(err);
		if (o->mode == MODE_RECORD)
			session_stop(s);
		return -1;
	}
	/* Not under curses, where it would only be seen after the screen: the
	 * live view's header shows the cost instead. */
	if (!s->replay && !s->light && session_single_step_sites(s) &&
	    (o->batch || o->mode == MODE_RECORD))
		report_single_steps(s);
	if (!s->replay && !s->light && o->verbose && (o->batch || o->mode == MODE_RECORD))
		report_caller_side(s);
	if (s->replay && s->replay->rec.truncated)
		fprintf(stderr,
			"cattop: %s was cut short at byte %zu (cattop stopped before finishing "
			"it): replaying what is there\n",
			o->input_path, s->replay->rec.truncated_at);
	return 0;
}

/* Started with stdout (or stdin, stderr) closed: the first file cattop
 * opens would take its number, and the tables would be written into a BPF
 * link or the recording. /dev/null holds the place; output meant for a
 * closed stdout is refused before attaching. */
static bool std_fds_refused(const struct options *o)
{
	bool closed = false;
	int fd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		closed |= fd == STDOUT_FILENO;
		if (open("/dev/null", O_RDWR) != fd)
			return true; /* cannot hold the place: do not run */
	}
	if (closed &&
	    ((o->batch && !o->quiet) || (o->snapshot_path && strcmp(o->snapshot_path, "-") == 0) ||
	     (o->output_path && strcmp(o->output_path, "-") == 0))) {
		fprintf(stderr, "cattop: cannot write to stdout: it is closed\n");
		return true;
	}
	return false;
}

/* Asked before attaching: the target is not probed for a view that
 * cannot be shown. */
static bool live_view_unavailable(void)
{
	char err[256];

	if (!terminal_check(err, sizeof(err)))
		return false;
	safe_error(err);
	return true;
}

/* --listen (or the config's listen), for a live process: bound before
 * attaching, so a port in use costs the target nothing. Serving makes
 * cattop headless: no live view, tables only if -b asked for them. */
static int open_metrics(struct options *o, const struct config *cfg)
{
	const char *spec = o->listen ? o->listen : cfg->listen[0] ? cfg->listen : NULL;
	char err[512];

	if (!spec || o->mode != MODE_LIVE)
		return 0;
	if (!o->batch)
		o->batch = o->quiet = true;
	metrics = metrics_server_open(spec, err, sizeof(err));
	if (!metrics) {
		safe_error(err);
		return -1;
	}
	return 0;
}

static void close_metrics(void)
{
	metrics_server_close(metrics);
	metrics = NULL;
	metrics_collector_free(&metrics_totals);
}

int main(int argc, char **argv)
{
	struct options opts;
	struct config cfg;
	struct session s;
	int ret;

	ret = options_parse(argc, argv, &opts);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (std_fds_refused(&opts))
		return 1;
	if (load_config(&cfg, &opts))
		return 1;
	install_signals();
	if (open_metrics(&opts, &cfg)) {
		config_free(&cfg);
		return 1;
	}
	if (!opts.batch && (opts.mode == MODE_LIVE || opts.mode == MODE_REPLAY) &&
	    live_view_unavailable()) {
		config_free(&cfg);
		return 1;
	}
	if (opts.mode == MODE_EXPORT) {
		ret = export_run(&cfg, &opts);
		config_free(&cfg);
		return ret;
	}
	if (OPTIONS_SEVERAL(&opts)) {
		ret = run_several(&opts, &cfg, metrics, &stop_requested);
		close_metrics();
		config_free(&cfg);
		return ret;
	}
	if (open_session(&s, &cfg, &opts)) {
		close_metrics();
		config_free(&cfg);
		return 1;
	}
	if (opts.mode == MODE_RECORD) {
		ret = run_record(&s, &opts);
	} else if (opts.batch) {
		if (s.replay)
			run_replay_batch(&s, &opts);
		else
			run_batch(&s, &opts);
	} else {
		struct tui_opts to = {cfg.interval_ns, cfg.color && !opts.no_color,
				      task_sort_by_name(cfg.sort), &stop_requested};

		if (tui_run(&s, &to)) {
			session_stop(&s);
			config_free(&cfg);
			return 1;
		}
	}
	ret |= finish(&s, &opts);
	if (command_status(&s))
		ret = command_status(&s);
	close_metrics();
	session_stop(&s);
	config_free(&cfg);
	return ret;
}
