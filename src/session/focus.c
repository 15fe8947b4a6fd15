#include "session/focus.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/call_graph.h"
#include "session/session.h"

static bool has_deferred(const struct site_table *sites)
{
	size_t i;

	for (i = 0; i < sites->count; i++)
		if (sites->sites[i].deferred)
			return true;
	return false;
}

bool focus_possible(const struct session *s)
{
	return s->attached && !s->replay && !s->target.execed && has_deferred(&s->sites);
}

/* Marks in want what each marked task poll site reaches; returns the count
 * of task types, or -errno. */
static int reach_all(struct session *s, const bool *types, bool *want)
{
	size_t i, n = 0;

	for (i = 0; i < s->sites.count; i++) {
		int ret;

		if (!types[i])
			continue;
		ret = call_graph_reach(s->target.binary, &s->symbols, &s->sites, (uint32_t)i, want);
		if (ret < 0)
			return ret;
		n++;
	}
	return (int)n;
}

static int focus_types(struct session *s, const bool *types, char *err, size_t errlen)
{
	bool *want = calloc(s->sites.count + 1, sizeof(*want));
	int n, ret;

	if (!want)
		return -ENOMEM;
	n = reach_all(s, types, want);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the code of %s: %s", s->target.binary,
			 strerror(-n));
		free(want);
		return n;
	}
	ret = session_widen(s, want, err, errlen);
	free(want);
	if (ret)
		return ret;
	s->focus.active = true;
	s->focus.task_types = (size_t)n;
	s->focus.futures = s->probes.widened_sites;
	return 0;
}

int focus_task_type(struct session *s, uint32_t site, char *err, size_t errlen)
{
	bool *types;
	const char *type;
	int ret;

	if (s->focus.active && s->focus.task_types == 1 && s->focus.site == site)
		return 0;
	if (site >= s->sites.count || s->sites.sites[site].role != SITE_TASK_POLL)
		return -EINVAL;
	types = calloc(s->sites.count, sizeof(*types));
	if (!types)
		return -ENOMEM;
	types[site] = true;
	ret = focus_types(s, types, err, errlen);
	free(types);
	if (ret)
		return ret;
	type = site_task_type(&s->sites.sites[site]);
	s->focus.site = site;
	snprintf(s->focus.label, sizeof(s->focus.label), "%s", type ? type : "(task)");
	return 0;
}

int focus_matching(struct session *s, const char *glob, char *err, size_t errlen)
{
	bool *types = calloc(s->sites.count + 1, sizeof(*types));
	size_t i, n = 0;
	int ret;

	if (!types)
		return -ENOMEM;
	for (i = 0; i < s->sites.count; i++) {
		const char *type = site_task_type(&s->sites.sites[i]);

		types[i] = type && fnmatch(glob, type, 0) == 0;
		n += types[i];
	}
	ret = -ENOENT;
	if (!n)
		snprintf(err, errlen,
			 "--focus '%s': no task type matches (they are named by DWARF, "
			 "e.g. 'app::conn_loop')",
			 glob);
	else
		ret = focus_types(s, types, err, errlen);
	if (!ret) {
		snprintf(s->focus.label, sizeof(s->focus.label), "%s", glob);
		for (i = 0; n == 1 && i < s->sites.count; i++)
			if (types[i])
				s->focus.site = (uint32_t)i;
	}
	free(types);
	return ret;
}

int focus_default(struct session *s, char *err, size_t errlen)
{
	if (s->focus_glob)
		return focus_matching(s, s->focus_glob, err, errlen);
	focus_clear(s);
	return 0;
}

void focus_clear(struct session *s)
{
	if (!s->focus.active)
		return;
	probes_narrow(&s->probes);
	memset(&s->focus, 0, sizeof(s->focus));
}
