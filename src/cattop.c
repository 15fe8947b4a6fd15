/* cattop: attaches to an async Rust process and shows, live, its tasks and
 * the futures inside them, with polls, busy time, longest and in-flight poll. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "options.h"
#include "report/batch_table.h"
#include "session/session.h"
#include "snapshot/json_snapshot.h"
#include "ui/colors.h"
#include "ui/task_table.h"
#include "ui/tui.h"
#include "util/duration.h"

/* The ring buffer is drained this often between refreshes; it bounds how
 * stale an in-flight poll can be and how full the buffer can get. */
#define DRAIN_PERIOD_NS (50 * NSEC_PER_MSEC)

static volatile sig_atomic_t stop_requested;

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
		fprintf(stderr, "cattop: %s\n", err);
		config_free(cfg);
		return -1;
	}
	if (o->threshold_set)
		cfg->threshold_ns = o->threshold_ns;
	if (o->interval_ns)
		cfg->interval_ns = o->interval_ns;
	if (o->scope)
		cfg->scope = strcmp(o->scope, "all") == 0 ? SCOPE_ALL : SCOPE_APP;
	return 0;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};

	nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

/* Runs until -n refreshes, a stop signal, or the target's exit. */
static void run_batch(struct session *s, const struct options *o)
{
	uint64_t interval = s->cfg->interval_ns, next = s->started_ns + interval;
	long printed = 0;

	while (!stop_requested) {
		uint64_t now = monotonic_now_ns();

		session_drain(s);
		if (!target_alive(&s->target)) {
			fprintf(stderr, "cattop: process %d exited\n", s->target.pid);
			break;
		}
		if (now >= next) {
			session_tick(s);
			batch_table_print(stdout, s, now, o->rows);
			next += interval;
			if (next <= now)
				next = now + interval;
			if (o->iterations > 0 && ++printed >= o->iterations)
				return;
		}
		sleep_ns(next - now < DRAIN_PERIOD_NS ? next - now : DRAIN_PERIOD_NS);
	}
	/* Stopped early or the target is gone: show the last state once. */
	session_drain(s);
	session_tick(s);
	batch_table_print(stdout, s, monotonic_now_ns(), o->rows);
}

static int finish(struct session *s, const struct options *o)
{
	char err[512];
	int ret = 0;

	session_drain(s);
	session_tick(s);
	if (o->snapshot_path &&
	    snapshot_write(s, monotonic_now_ns(), o->snapshot_path, err, sizeof(err))) {
		fprintf(stderr, "cattop: %s\n", err);
		ret = 1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct options opts;
	struct config cfg;
	struct session s;
	char err[1024];
	int ret;

	ret = options_parse(argc, argv, &opts);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (load_config(&cfg, &opts))
		return 1;
	install_signals();
	struct session_opts so = {
	    .pid = opts.pid,
	    .argv = opts.command,
	    .runtime = opts.runtime,
	    .tasks_only = opts.tasks_only,
	    .verbose = opts.verbose,
	};
	if (session_start(&s, &cfg, &so, err, sizeof(err))) {
		fprintf(stderr, "cattop: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (opts.batch) {
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
	ret = finish(&s, &opts);
	session_stop(&s);
	config_free(&cfg);
	return ret;
}
