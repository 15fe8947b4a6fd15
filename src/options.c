#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/duration.h"

#define CATTOP_VERSION "0.1.0"

enum long_only { OPT_SNAPSHOT = 256, OPT_TASKS_ONLY, OPT_RUNTIME, OPT_SCOPE, OPT_NO_COLOR };

static const struct option long_options[] = {
    {"pid", required_argument, NULL, 'p'},
    {"batch", no_argument, NULL, 'b'},
    {"delay", required_argument, NULL, 'd'},
    {"iterations", required_argument, NULL, 'n'},
    {"rows", required_argument, NULL, 'r'},
    {"threshold", required_argument, NULL, 't'},
    {"config", required_argument, NULL, 'c'},
    {"snapshot", required_argument, NULL, OPT_SNAPSHOT},
    {"tasks-only", no_argument, NULL, OPT_TASKS_ONLY},
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"scope", required_argument, NULL, OPT_SCOPE},
    {"verbose", no_argument, NULL, 'v'},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
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
	    "Live view of an async Rust process: tasks, the futures inside them, and their polls.\n"
	    "\n"
	    "  -p, --pid PID          trace a running process\n"
	    "  -b, --batch            no curses: print a table every interval (like top -b)\n"
	    "  -d, --delay SECONDS    refresh interval (also 500ms, 2s; default 1s)\n"
	    "  -n, --iterations N     stop after N refreshes\n"
	    "  -r, --rows N           batch: show the first N tasks (default 40, 0 = all)\n"
	    "  -t, --threshold DUR    polls longer than this are slow (100us, 2ms, 1s; default "
	    "100us)\n"
	    "  -c, --config FILE      read settings and runtime profiles from FILE\n"
	    "      --snapshot FILE    write the final view as JSON to FILE (- for stdout)\n"
	    "      --tasks-only       probe task polls only (cheapest)\n"
	    "      --runtime NAME     auto (default), tokio, async-std, smol, or a config section\n"
	    "      --scope app|all    futures of the application's crates (default) or all crates\n"
	    "      --no-color         live view without colours (the ! markers stay)\n"
	    "  -v, --verbose          show libbpf's messages\n"
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

static int parse_count(const char *s, long *n)
{
	char *end;

	errno = 0;
	*n = strtol(s, &end, 10);
	return (errno || *end || end == s || *n <= 0) ? -1 : 0;
}

static int check_combination(struct options *o)
{
	if (o->pid && o->command)
		return fail("%sgive either -p PID or -- COMMAND, not both", "");
	if (!o->pid && !o->command)
		return fail("%snothing to trace: give -p PID or -- COMMAND", "");
	if (o->scope && strcmp(o->scope, "app") && strcmp(o->scope, "all"))
		return fail("--scope takes app or all, not '%s'", o->scope);
	return 0;
}

static int handle_option(int c, struct options *o)
{
	switch (c) {
	case 'p':
		return parse_pid(optarg, &o->pid) ? fail("bad PID '%s'", optarg) : 0;
	case 'b':
		o->batch = true;
		return 0;
	case 'd':
		if (duration_parse(optarg, NSEC_PER_SEC, &o->interval_ns) ||
		    o->interval_ns < 10 * NSEC_PER_MSEC)
			return fail("bad interval '%s' (seconds, at least 0.01)", optarg);
		return 0;
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
	case OPT_TASKS_ONLY:
		o->tasks_only = true;
		return 0;
	case OPT_RUNTIME:
		o->runtime = optarg;
		return 0;
	case OPT_SCOPE:
		o->scope = optarg;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_NO_COLOR:
		o->no_color = true;
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

int options_parse(int argc, char **argv, struct options *o)
{
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->iterations = -1;
	o->rows = 40;
	o->runtime = "auto";
	opterr = 0;
	/* "+": stop at the first non-option, so the command's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+p:bd:n:r:t:c:vhV", long_options, NULL)) != -1) {
		if (c == '?') {
			if (optopt && optopt < 256)
				fprintf(stderr,
					"cattop: option -%c needs an argument or is unknown (see "
					"cattop --help)\n",
					optopt);
			else
				fprintf(stderr, "cattop: unknown option '%s' (see cattop --help)\n",
					argv[optind - 1]);
			return -1;
		}
		ret = handle_option(c, o);
		if (ret)
			return ret;
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail("unexpected argument '%s' (put the command after --)",
				    argv[optind]);
		o->command = &argv[optind];
	}
	return check_combination(o);
}
