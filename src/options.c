#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/listen_address.h"
#include "model/task_sort.h"
#include "util/duration.h"

#define CATTOP_VERSION "0.1.0"

enum long_only {
	OPT_SNAPSHOT = 256,
	OPT_TASKS_ONLY,
	OPT_FOCUS,
	OPT_RUNTIME,
	OPT_SCOPE,
	OPT_NO_COLOR,
	OPT_NO_WAKES,
	OPT_NO_SPLIT,
	OPT_MAX_SIZE,
	OPT_FORMAT,
	OPT_DEBUG_FILE,
	OPT_NO_CACHE,
	OPT_EXCLUDE,
	OPT_DURATION,
	OPT_LIGHT,
	OPT_LISTEN,
	OPT_PIDOF,
	OPT_DUTY,
};

static const struct option long_options[] = {
    {"pid", required_argument, NULL, 'p'},
    {"batch", no_argument, NULL, 'b'},
    {"quiet", no_argument, NULL, 'q'},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"pidof", required_argument, NULL, OPT_PIDOF},
    {"delay", required_argument, NULL, 'd'},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"iterations", required_argument, NULL, 'n'},
    {"rows", required_argument, NULL, 'r'},
    {"sort", required_argument, NULL, 's'},
    {"threshold", required_argument, NULL, 't'},
    {"config", required_argument, NULL, 'c'},
    {"snapshot", required_argument, NULL, OPT_SNAPSHOT},
    {"tasks-only", no_argument, NULL, OPT_TASKS_ONLY},
    {"light", no_argument, NULL, OPT_LIGHT},
    {"duty", required_argument, NULL, OPT_DUTY},
    {"focus", required_argument, NULL, OPT_FOCUS},
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"scope", required_argument, NULL, OPT_SCOPE},
    {"verbose", no_argument, NULL, 'v'},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"no-wakes", no_argument, NULL, OPT_NO_WAKES},
    {"no-split", no_argument, NULL, OPT_NO_SPLIT},
    {"output", required_argument, NULL, 'o'},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"debug-file", required_argument, NULL, OPT_DEBUG_FILE},
    {"no-cache", no_argument, NULL, OPT_NO_CACHE},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: cattop [options] -p PID\n"
	    "       cattop [options] -- COMMAND [ARGS...]\n"
	    "       cattop record -o FILE [-d SECONDS] [--max-size SIZE] [options] -p PID | -- "
	    "COMMAND\n"
	    "       cattop replay FILE [options]\n"
	    "       cattop export FILE --format chrome|folded|html -o OUT\n"
	    "Live view of an async Rust process: tasks, the futures inside them, and their polls.\n"
	    "\n"
	    "  -p, --pid PID[,PID...] trace running processes (one view, a PROCESS column)\n"
	    "      --pidof NAME       every process running a program NAME (as pidof), and\n"
	    "                         those that start later\n"
	    "  -b, --batch            no curses: print a table every interval (like top -b)\n"
	    "  -q, --quiet            -b without the tables (for --listen, --snapshot)\n"
	    "      --listen ADDR:PORT serve Prometheus metrics at http://ADDR:PORT/metrics;\n"
	    "                         runs headless (no tables unless -b)\n"
	    "  -d, --delay SECONDS    refresh interval (also 500ms, 2s; default 1s)\n"
	    "  -n, --iterations N     stop after N refreshes\n"
	    "  -r, --rows N           batch: show the first N tasks (default 40, 0 = all)\n"
	    "  -s, --sort KEY         order tasks by longest (default), idle, busy, busy%%,\n"
	    "                         polls, slow, inflight, state, sched, id or name\n"
	    "  -t, --threshold DUR    polls longer than this are slow (100us, 2ms, 1s; default "
	    "100us)\n"
	    "  -c, --config FILE      read settings and runtime profiles from FILE\n"
	    "      --snapshot FILE    write the final view as JSON to FILE (- for stdout)\n"
	    "      --tasks-only       probe task polls only (cheapest); opening a task\n"
	    "                         in the live view probes that task type's futures\n"
	    "      --focus GLOB       --tasks-only, plus the futures of the task types\n"
	    "                         matching GLOB, e.g. '*::handle_request'\n"
	    "      --light            no probes: every task from the runtime's lists and a\n"
	    "                         CPU sampler (CPU share, wedged polls; no poll counts)\n"
	    "      --duty PCT         probes in for PCT%% of every second (1-100, e.g. 10:\n"
	    "                         100 ms a second): exact polls of those windows only;\n"
	    "                         10 by default with --listen, 100 all the time\n"
	    "      --runtime NAME     auto (default), tokio, async-std, smol, or a config section\n"
	    "      --scope app|all    futures of the application's crates (default) or all crates\n"
	    "      --exclude GLOBS    futures not to probe, e.g. 'app::codec::*' (comma list)\n"
	    "      --no-color         live view without colours (the ! markers stay)\n"
	    "      --no-wakes         no wake probes: no wake counts or scheduled time\n"
	    "      --no-split         slow polls not split into running/blocked (no program\n"
	    "                         on the machine's context switches)\n"
	    "      --debug-file FILE  the binary's separate debug info (default: found by\n"
	    "                         build id or .gnu_debuglink, as gdb does)\n"
	    "      --no-cache         scan the binary even if ~/.cache/cattop has its sites\n"
	    "  -v, --verbose          show libbpf's messages, and (batch, record) which\n"
	    "                         futures are not probed in their callers and why\n"
	    "\n"
	    "record: every poll to FILE, for replay or export elsewhere\n"
	    "  -o, --output FILE      the recording (created 0600, replacing an old file of\n"
	    "                         yours; - for stdout)\n"
	    "  -d, --duration SECONDS stop after this long (default: at Ctrl-C)\n"
	    "      --max-size SIZE    stop at this file size (default 1G; K, M, G)\n"
	    "replay: the live view (or -b, --snapshot) of a recording; Space pauses,\n"
	    "  . and , step, ] and [ jump 10s (see h in the view)\n"
	    "export: --format chrome (Perfetto, chrome://tracing), folded (flame graphs)\n"
	    "  or html (a self-contained timeline page); -o - writes to stdout\n"
	    "  -h, --help             this help\n"
	    "  -V, --version          version\n");
}

static int fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "cattop: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see cattop --help)\n");
	return -1;
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0 || v > 4194304)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* -p 12,34 (and -p again): each pid once. */
static int parse_pids(const char *arg, struct options *o)
{
	char buf[256], *save = NULL, *tok;
	pid_t pid;
	size_t i;

	if (strlen(arg) >= sizeof(buf))
		return fail("bad PID list '%s'", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	if (!buf[0] || buf[strlen(buf) - 1] == ',')
		return fail("bad PID '%s'", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_pid(tok, &pid))
			return fail("bad PID '%s'", tok);
		for (i = 0; i < o->npids && o->pids[i] != pid; i++)
			;
		if (i < o->npids)
			continue;
		if (o->npids == MAX_TARGETS)
			return fail("too many processes (at most 32): '%s'", arg);
		o->pids[o->npids++] = pid;
	}
	o->pid = o->pids[0];
	return 0;
}

static int parse_count(const char *s, long *n)
{
	char *end;

	errno = 0;
	*n = strtol(s, &end, 10);
	return (errno || *end || end == s || *n <= 0) ? -1 : 0;
}

static int parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -1;
	}
	if (*end && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		return -1;
	if (v == 0 || v > (UINT64_MAX >> 30))
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

/* A whole percentage, 1 to 100 (100: the probes in all the time, the
 * default but where --listen makes duty-cycled tracing the default). */
static int parse_duty(const char *s, unsigned int *pct)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || (*end && strcmp(end, "%")) || v < 1 || v > 100)
		return -1;
	*pct = (unsigned int)v;
	return 0;
}

static int parse_format(const char *s, enum export_format *f)
{
	if (strcmp(s, "chrome") == 0 || strcmp(s, "perfetto") == 0)
		*f = EXPORT_CHROME;
	else if (strcmp(s, "folded") == 0)
		*f = EXPORT_FOLDED;
	else if (strcmp(s, "html") == 0)
		*f = EXPORT_HTML;
	else
		return -1;
	return 0;
}

static int check_file_mode(struct options *o)
{
	if (o->pid || o->command || o->pidof)
		return fail("%sreplay and export read a recording, not a process", "");
	if (!o->input_path)
		return fail("%sgive the recording to read", "");
	if (o->mode == MODE_EXPORT && !o->output_path)
		return fail("%sexport needs -o OUT (- for stdout)", "");
	if (o->mode == MODE_REPLAY && o->output_path)
		return fail("%s-o is for record and export", "");
	if (o->listen)
		return fail("%s--listen serves a live process, not a recording", "");
	if (o->tasks_only || o->light || o->duty_pct)
		return fail("%s--tasks-only, --focus, --light and --duty choose probes: they are "
			    "for a process",
			    "");
	return 0;
}

static int check_combination(struct options *o)
{
	if (o->mode == MODE_REPLAY || o->mode == MODE_EXPORT)
		return check_file_mode(o);
	if (o->input_path)
		return fail("unexpected argument '%s' (put the command after --)", o->input_path);
	if (o->mode == MODE_RECORD && !o->output_path)
		return fail("%srecord needs -o FILE", "");
	if (o->mode == MODE_LIVE && (o->output_path || o->max_bytes))
		return fail("%s-o and --max-size are for cattop record", "");
	if ((o->pid || o->pidof) && o->command)
		return fail("%sgive either -p PID (or --pidof) or -- COMMAND, not both", "");
	if (!o->pid && !o->command && !o->pidof)
		return fail("%snothing to trace: give -p PID, --pidof NAME or -- COMMAND", "");
	if (o->light && o->mode == MODE_RECORD)
		return fail("%s--light has no polls to record", "");
	if (o->listen && o->mode == MODE_RECORD)
		return fail("%s--listen serves a live process: not with cattop record", "");
	if (o->duty_pct && o->light)
		return fail("%s--duty cycles the probes and --light has none: not both", "");
	if (o->duty_pct && o->duty_pct < 100 && o->mode == MODE_RECORD)
		return fail("%sa duty-cycled trace has gaps: record without --duty", "");
	if (o->light && o->tasks_only)
		return fail("%s--light places no probes: not with --tasks-only or --focus", "");
	if (o->scope && strcmp(o->scope, "app") && strcmp(o->scope, "all"))
		return fail("--scope takes app or all, not '%s'", o->scope);
	return 0;
}

static int handle_option(int c, struct options *o)
{
	switch (c) {
	case OPT_DURATION:
		/* record's -d, as its help spells it; elsewhere -d is the interval. */
		if (o->mode != MODE_RECORD)
			return fail("%s--duration is for cattop record (-d, --delay: the interval)",
				    "");
		/* fall through */
	case 'd':
		if (o->mode == MODE_RECORD)
			return duration_parse(optarg, NSEC_PER_SEC, &o->duration_ns) ||
				       o->duration_ns == 0
				   ? fail("bad duration '%s' (seconds, or 500ms, 2m)", optarg)
				   : 0;
		if (duration_parse(optarg, NSEC_PER_SEC, &o->interval_ns) ||
		    o->interval_ns < 10 * NSEC_PER_MSEC)
			return fail("bad interval '%s' (seconds, at least 0.01)", optarg);
		return 0;
	case 'p':
		return parse_pids(optarg, o);
	case OPT_PIDOF:
		if (!optarg[0] || strchr(optarg, '/') || strlen(optarg) > 255)
			return fail("bad program name '%s' (a name as pidof takes it)", optarg);
		o->pidof = optarg;
		return 0;
	case 'b':
		o->batch = true;
		return 0;
	case 'q':
		o->quiet = o->batch = true;
		return 0;
	case OPT_LISTEN: {
		struct sockaddr_storage addr;
		socklen_t len;
		char err[256];

		if (metrics_listen_parse(optarg, &addr, &len, err, sizeof(err)))
			return fail("%s", err);
		o->listen = optarg;
		return 0;
	}
	case 'n':
		return parse_count(optarg, &o->iterations)
			   ? fail("bad iteration count '%s'", optarg)
			   : 0;
	case 'r':
		if (strcmp(optarg, "0") == 0) {
			o->rows = 0;
			return 0;
		}
		return parse_count(optarg, &o->rows) ? fail("bad row count '%s'", optarg) : 0;
	case 's': {
		enum task_sort sort;

		if (!task_sort_parse(optarg, &sort))
			return fail("bad sort key '%s' (longest, idle, busy, busy%%, polls, slow, "
				    "inflight, state, sched, id, name)",
				    optarg);
		o->sort = optarg;
		return 0;
	}
	case 't':
		if (duration_parse(optarg, 0, &o->threshold_ns) || o->threshold_ns == 0)
			return fail("bad threshold '%s' (e.g. 100us, 2ms, 1s)", optarg);
		o->threshold_set = true;
		return 0;
	case 'c':
		o->config_path = optarg;
		return 0;
	case OPT_SNAPSHOT:
		o->snapshot_path = optarg;
		return 0;
	case OPT_FOCUS:
		o->focus = optarg;
		o->tasks_only = true;
		return 0;
	case OPT_TASKS_ONLY:
		o->tasks_only = true;
		return 0;
	case OPT_LIGHT:
		o->light = true;
		return 0;
	case OPT_DUTY:
		return parse_duty(optarg, &o->duty_pct)
			   ? fail("bad duty '%s' (a percentage from 1 to 100, e.g. 10)", optarg)
			   : 0;
	case OPT_RUNTIME:
		o->runtime = optarg;
		return 0;
	case OPT_SCOPE:
		o->scope = optarg;
		return 0;
	case 'o':
		o->output_path = optarg;
		return 0;
	case OPT_EXCLUDE:
		o->exclude = optarg;
		return 0;
	case OPT_NO_CACHE:
		o->no_cache = true;
		return 0;
	case OPT_DEBUG_FILE:
		if (access(optarg, R_OK))
			return fail("cannot read debug file '%s'", optarg);
		o->debug_file = optarg;
		return 0;
	case OPT_MAX_SIZE:
		return parse_size(optarg, &o->max_bytes)
			   ? fail("bad size '%s' (e.g. 500M, 2G)", optarg)
			   : 0;
	case OPT_FORMAT:
		return parse_format(optarg, &o->format)
			   ? fail("unknown format '%s' (chrome, folded or html)", optarg)
			   : 0;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_NO_COLOR:
		o->no_color = true;
		return 0;
	case OPT_NO_WAKES:
		o->no_wakes = true;
		return 0;
	case OPT_NO_SPLIT:
		o->no_split = true;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	case 'V':
		printf("cattop %s\n", CATTOP_VERSION);
		return 1;
	default:
		return fail("%sunknown option", "");
	}
}

static enum cattop_mode mode_of(const char *word)
{
	if (!word)
		return MODE_LIVE;
	if (strcmp(word, "record") == 0)
		return MODE_RECORD;
	if (strcmp(word, "replay") == 0)
		return MODE_REPLAY;
	if (strcmp(word, "export") == 0)
		return MODE_EXPORT;
	return MODE_LIVE;
}

/* replay and export take the recording as their one argument. */
static int take_input(int argc, char **argv, struct options *o)
{
	if (optind >= argc)
		return 0;
	if (o->mode == MODE_LIVE || o->mode == MODE_RECORD) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail("unexpected argument '%s' (put the command after --)",
				    argv[optind]);
		o->command = &argv[optind];
		return 0;
	}
	o->input_path = argv[optind++];
	if (optind < argc)
		return fail("unexpected argument '%s'", argv[optind]);
	return 0;
}

int options_parse(int argc, char **argv, struct options *o)
{
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->iterations = -1;
	o->rows = 40;
	o->runtime = "auto";
	o->mode = mode_of(argc > 1 ? argv[1] : NULL);
	if (o->mode != MODE_LIVE) {
		argc--;
		argv++;
	}
	opterr = 0;
	optind = 1;
	/* "+": stop at the first non-option, so the command's own options stay
	 * its own; replay and export have no command, so FILE may come first. */
	while ((c = getopt_long(argc, argv,
				o->mode >= MODE_REPLAY ? "p:bqd:n:r:s:t:c:o:vhV"
						       : "+p:bqd:n:r:s:t:c:o:vhV",
				long_options, NULL)) != -1) {
		if (c == '?') {
			if (optopt && optopt < 256)
				fprintf(stderr,
					"cattop: option -%c needs an argument or is unknown (see "
					"cattop --help)\n",
					optopt);
			else if (optopt >=
				 OPT_SNAPSHOT) /* a long option of ours, its value missing */
				fprintf(stderr,
					"cattop: option '%s' needs a value (see cattop --help)\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "cattop: unknown option '%s' (see cattop --help)\n",
					argv[optind - 1]);
			return -1;
		}
		ret = handle_option(c, o);
		if (ret)
			return ret;
	}
	ret = take_input(argc, argv, o);
	if (ret)
		return ret;
	if (o->mode == MODE_RECORD && !o->max_bytes)
		o->max_bytes = DEFAULT_MAX_RECORDING;
	return check_combination(o);
}
