/* Command-line options. */
#ifndef CATTOP_OPTIONS_H
#define CATTOP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum cattop_mode {
	MODE_LIVE,   /* cattop [options] -p PID */
	MODE_RECORD, /* cattop record -o FILE ... */
	MODE_REPLAY, /* cattop replay FILE */
	MODE_EXPORT, /* cattop export FILE --format F -o OUT */
};

/* Processes one cattop traces at once (-p A,B and --pidof). */
#define MAX_TARGETS 32

/* Several processes, one view: a PROCESS column, processes[] in the JSON. */
#define OPTIONS_SEVERAL(o) ((o)->npids > 1 || (o)->pidof)

enum export_format { EXPORT_CHROME, EXPORT_FOLDED, EXPORT_HTML };

struct options {
	enum cattop_mode mode;
	pid_t pid;		 /* the first of pids, 0 if none */
	pid_t pids[MAX_TARGETS]; /* -p PID[,PID...] (repeatable) */
	size_t npids;
	const char *pidof; /* --pidof NAME: every process of that name, and later ones */
	char **command;	   /* after "--", NULL-terminated */
	bool batch;
	bool quiet;	       /* -q: batch (-b) without tables (metrics, a final snapshot) */
	const char *listen;    /* --listen ADDR:PORT: serve /metrics; NULL: the config's */
	uint64_t interval_ns;  /* 0: from config */
	long iterations;       /* -1: forever */
	long rows;	       /* batch: task lines per refresh, 0 = all */
	const char *sort;      /* -s KEY, checked; NULL: the config's */
	uint64_t threshold_ns; /* 0 with !threshold_set: from config */
	bool threshold_set;
	const char *config_path;
	const char *snapshot_path;
	const char *runtime;
	const char *scope;
	bool tasks_only;
	bool light;	       /* --light (or light = yes in the config) */
	unsigned int duty_pct; /* --duty PCT, 0: not given */
	const char *focus;     /* --focus GLOB (implies tasks_only) */
	bool verbose;
	bool no_color;
	bool no_wakes;
	bool no_split;
	const char *debug_file;	 /* --debug-file */
	bool no_cache;		 /* --no-cache */
	const char *exclude;	 /* --exclude PATTERNS */
	const char *input_path;	 /* replay, export: the recording */
	const char *output_path; /* record, export: -o */
	uint64_t duration_ns;	 /* record: -d, 0 = until stopped */
	uint64_t max_bytes;	 /* record: --max-size */
	enum export_format format;
};

/* A recording stops at this size unless --max-size says otherwise. */
#define DEFAULT_MAX_RECORDING (1ULL << 30)

/* Returns 0 to run, 1 when it printed help/version (exit 0), or -1 after
 * printing a one-line error (exit 2). */
int options_parse(int argc, char **argv, struct options *o);

#endif
