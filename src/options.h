/* Command-line options. */
#ifndef CATTOP_OPTIONS_H
#define CATTOP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct options {
	pid_t pid;
	char **command; /* after "--", NULL-terminated */
	bool batch;
	uint64_t interval_ns;  /* 0: from config */
	long iterations;       /* -1: forever */
	long rows;	       /* batch: task lines per refresh, 0 = all */
	uint64_t threshold_ns; /* 0 with !threshold_set: from config */
	bool threshold_set;
	const char *config_path;
	const char *snapshot_path;
	const char *runtime;
	const char *scope;
	bool tasks_only;
	bool verbose;
	bool no_color;
};

/* Returns 0 to run, 1 when it printed help/version (exit 0), or -1 after
 * printing a one-line error (exit 2). */
int options_parse(int argc, char **argv, struct options *o);

#endif
