/* cattop's settings and runtime profiles: built-in defaults (config/cattop.ini,
 * embedded at build time), then an optional file, then command-line options. */
#ifndef CATTOP_CONFIG_H
#define CATTOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pattern_list {
	char **items;
	size_t count;
};

struct runtime_profile {
	char name[32];
	struct pattern_list detect;
	struct pattern_list task_poll;
	struct pattern_list task_end;
	/* Entry points that wake a task (first argument: the task pointer), and
	 * the functions from which such a wake is the task's own deferred one
	 * (tokio's yield_now/coop wakers, woken after the poll): probed for
	 * wake counts and scheduled time. Empty: not measured. */
	struct pattern_list task_wake;
	struct pattern_list task_wake_deferred;
	/* The task poll entry runs the task's future under catch_unwind, so no
	 * panic unwinds through its frame: it may keep a return probe, which
	 * costs less than probes on its ret instructions (exit_sites.h) and
	 * times a task poll that ends in a tail call. */
	bool task_poll_catches_panics;
};

#define MAX_RUNTIMES 16

enum probe_scope { SCOPE_APP = 0, SCOPE_ALL };

struct config {
	uint64_t threshold_ns;
	uint64_t interval_ns;
	uint64_t retain_done_ns;
	size_t max_done_tasks;
	size_t ringbuf_bytes;
	enum probe_scope scope;
	struct pattern_list library_crates;
	struct pattern_list app_crates;
	struct pattern_list exclude; /* futures never probed: globs on their paths */
	struct runtime_profile runtimes[MAX_RUNTIMES];
	size_t runtime_count;
	char sort[16];	       /* live view's initial sort column */
	bool color;	       /* live view in colour */
	bool closures;	       /* probe plain closures of the application too */
	bool wakes;	       /* probe the runtime's task_wake functions (a hit per wake) */
	bool light;	       /* light mode (--light): no probes, see session/light_feed.h */
	bool split;	       /* the thread clock: slow polls' blocked time (a hit per switch) */
	char listen[128];      /* serve metrics here (--listen ADDR:PORT), "" for none */
	unsigned int duty_pct; /* duty = PCT (--duty): probes in PCT % of the time, 0: not set */
};

/* The [colors] section is handed to this hook (the UI owns the colour
 * table); it returns 0, or -EINVAL for an unknown role or colour. */
extern int (*config_color_hook)(const char *role, const char *value);

/* Fills cfg from the built-in defaults. Returns 0 or -errno. */
int config_init(struct config *cfg);

/* Reads a file on top of cfg. On a bad line returns -EINVAL and writes
 * "FILE:LINE: what is wrong" to err. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

void config_free(struct config *cfg);

/* --exclude: comma-separated globs added to [cattop] exclude. 0 or -ENOMEM. */
int config_add_exclude(struct config *cfg, const char *patterns);

bool pattern_list_matches(const struct pattern_list *list, const char *text);
bool pattern_list_contains(const struct pattern_list *list, const char *text);
const struct runtime_profile *config_find_runtime(const struct config *cfg, const char *name);

#endif
