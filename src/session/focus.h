/* Drill-down widening: with future probes deferred (--tasks-only), the
 * futures of the task types being looked at get probes while they are looked
 * at (--focus, or opening a task in the live view), so the steady state
 * costs only the task polls. */
#ifndef CATTOP_FOCUS_H
#define CATTOP_FOCUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct session;

struct focus {
	bool active;
	size_t task_types; /* how many task types are focused */
	size_t futures;	   /* their futures with probes now */
	uint32_t site;	   /* the task poll site, when one type is focused */
	char label[160];   /* the task type, or "N task types" */
};

/* Whether the session has deferred futures and can attach them now (live,
 * attached, and the target has not exec'd). */
bool focus_possible(const struct session *s);
/* Probes the futures task poll site `site` reaches, in place of the focus
 * before. Returns 0, or -errno with a one-line reason in err. */
int focus_task_type(struct session *s, uint32_t site, char *err, size_t errlen);
/* The same for every task type whose name matches the glob. -ENOENT: none. */
int focus_matching(struct session *s, const char *glob, char *err, size_t errlen);
/* Takes the focused futures' probes out. */
void focus_clear(struct session *s);
/* Back to the focus of the command line (--focus), or none. */
int focus_default(struct session *s, char *err, size_t errlen);

#endif
